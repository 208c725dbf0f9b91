import { Body, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { LibraryController } from '../../core/library-controller.decorator';
import { ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { NoStore } from '../../core/no-store.decorator';
import { Auth, Public } from '../../scopes/auth.decorators';
import { Principal } from '../../scopes/principal';
import { ErrorResponseDto } from '../../core/error-response.dto';
import { Endpoint } from '../../scopes/endpoint.decorator';
import { Privilege } from '../../scopes/privileges';
import { IntrospectionResponseDto, IntrospectTokenDto, VerifyQueryDto } from './dto/introspection.dto';
import { GatewayRequest, IntrospectionService } from './introspection.service';

interface HeaderWriter {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/** Token checks for other services and gateways. */
@ApiTags('auth')
@LibraryController('')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  /**
   * Introspect a token (RFC 7662)
   * @remarks For services holding the INTROSPECT_TOKENS privilege and a credential with
   * `tokens:introspect`. Send `token` as JSON or as a form field. Anything not usable answers
   * exactly `{"active": false}`, as does a token with an IP allow-list unless `client_ip` (the
   * address it was presented from) is on it. Asking does not count as a use of the token.
   */
  @Post('personal-access-tokens/introspect')
  @AuditAction('personal_access_token.introspect', { target: null, readOnly: true })
  @HttpCode(200)
  @NoStore()
  @Endpoint({
    operationId: 'introspectToken',
    scopes: ['tokens:introspect'],
    privileges: [Privilege.IntrospectTokens],
    errors: {
      400: 'No `token`, or not a string; a `client_ip` that is no IP address',
      429: 'Over the per-caller rate limit, or too many failed authentications',
    },
  })
  introspect(@Auth() principal: Principal, @Body() body: IntrospectTokenDto): Promise<IntrospectionResponseDto> {
    return this.introspection.introspect(principal, body.token, body.client_ip);
  }

  /**
   * Verify a personal access token for a gateway
   * @remarks For a gateway's `auth_request`: checks the personal access token in the Authorization header
   * and answers 200 with `X-User-Id`, `X-User-Email`, `X-Token-Id` and `X-Token-Scopes` (empty
   * body), or 401 (403 for a missing `scope`) with an RFC 6750 `WWW-Authenticate` challenge.
   * The token is the thing checked, not a credential for this call: the route itself is public.
   */
  @Get('auth/verify')
  @AuditAction('auth.verify', { target: null })
  @Public()
  @Endpoint({
    operationId: 'verifyPersonalAccessToken',
    errors: {
      400: 'An invalid `scope` parameter',
      403: 'The token lacks the `scope` asked for (RFC 6750 `insufficient_scope`)',
      429: 'Too many failed authentications from this address; see Retry-After',
    },
  })
  @ApiOkResponse({ description: 'The token is valid; identity in the X-User-* and X-Token-* headers' })
  @ApiUnauthorizedResponse({ description: 'Missing, malformed, invalid, expired or revoked token', type: ErrorResponseDto })
  async verify(
    @Req() request: GatewayRequest,
    @Res({ passthrough: true }) response: HeaderWriter,
    @Query() query: VerifyQueryDto,
  ): Promise<void> {
    const headers = await this.introspection.verifyRequest(request, query.scope);
    for (const [name, value] of Object.entries(headers)) {
      if (response.header) response.header(name, value);
      else response.setHeader?.(name, value);
    }
  }
}
