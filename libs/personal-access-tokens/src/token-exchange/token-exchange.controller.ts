import { Body, Headers, HttpCode, Ip, Post, Res, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiConsumes, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { LibraryController } from '../core/library-controller.decorator';
import { Public } from '../scopes/auth.decorators';
import { Endpoint } from '../scopes/endpoint.decorator';
import { PersonalAccessToken } from '../tokens/personal-access-token.entity';
import { TokenExchangeRequestDto, TokenExchangeResponseDto } from './dto/token-exchange.dto';
import { OAuthErrorFilter } from './oauth-error.filter';
import { TokenExchangeError } from './token-exchange.errors';
import { TokenExchangeService } from './token-exchange.service';

const FORM = 'application/x-www-form-urlencoded';

@ApiTags('token exchange')
@LibraryController('oauth')
export class TokenExchangeController {
  constructor(
    private readonly exchanges: TokenExchangeService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * Exchange a CI job's ID token for a short-lived PAT (RFC 8693)
   * @remarks Form-encoded. The ID token must come from an issuer a trust policy names, for that
   * policy's audience, with claims meeting its conditions; it is exchanged once. Errors follow
   * RFC 6749 section 5.2 (`error`, `error_description`).
   */
  @Post('token')
  // On the route itself, so that it answers before the library's filter (RFC 6749 section 5.2 errors).
  @UseFilters(OAuthErrorFilter)
  @Public()
  @HttpCode(200)
  @ApiConsumes(FORM)
  @AuditAction('token_exchange.exchange', {
    target: 'personal_access_token',
    creates: PersonalAccessToken,
    bodyFields: ['grant_type', 'subject_token_type', 'scope'],
  })
  @Endpoint({
    operationId: 'exchangeToken',
    errors: {
      400: 'RFC 6749 error: invalid_request, invalid_grant, unsupported_grant_type, invalid_scope or invalid_target',
      429: 'Too many exchanges; see Retry-After',
    },
  })
  exchange(
    @Headers('content-type') contentType: string | undefined,
    @Body() body: TokenExchangeRequestDto,
    @Ip() ip: string,
    @Res({ passthrough: true }) response: object,
  ): Promise<TokenExchangeResponseDto> {
    if (!contentType?.toLowerCase().startsWith(FORM)) {
      throw new TokenExchangeError('invalid_request', 'form_encoding_required', `Send the request as ${FORM} (RFC 8693 section 2.1)`);
    }
    // RFC 6749 5.1: a response carrying a token must not be cached.
    this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    this.adapterHost.httpAdapter.setHeader(response, 'Pragma', 'no-cache');
    return this.exchanges.exchange(body, ip);
  }
}
