import { Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { LibraryController } from '../core/library-controller.decorator';
import { ParseIdPipe } from '../core/parse-id.pipe';
import { Auth } from '../scopes/auth.decorators';
import { Endpoint } from '../scopes/endpoint.decorator';
import { Principal } from '../scopes/principal';
import { Privilege } from '../scopes/privileges';
import { RequirePrivileges } from '../scopes/require-scopes.decorator';
import { BusiestTokensDto, BusiestTokensQueryDto, TokenUsageDto, TokenUsageQueryDto } from './dto/token-usage.dto';
import { TokenUsageService } from './token-usage.service';

const uuid = new ParseIdPipe();
const INVALID_WINDOW = 'Invalid granularity or days (the field is named)';

/** The usage of the caller's own tokens. Another user's token is a 404. */
@ApiTags('tokens')
@LibraryController('user/me/personal-access-tokens')
export class TokenUsageController {
  constructor(private readonly usage: TokenUsageService) {}

  /**
   * Get the usage of one of your personal access tokens
   * @remarks Requests made with the token per UTC hour (`granularity=hour`, up to 7 days) or per
   * UTC day (`granularity=day`, up to 90 days), by outcome (success, denied, error), every bucket of
   * the window present; and the addresses it was used from, the latest first. Counted from the
   * audit trail, roll-ups of counted reads included.
   */
  @Get(':id/usage')
  @AuditAction('personal_access_token.read_usage')
  @Endpoint({
    operationId: 'getPersonalAccessTokenUsage',
    scopes: ['personal_access_tokens:read'],
    scopeOptions: { selfParam: 'id' },
    uuidParams: ['id'],
    errors: { 400: INVALID_WINDOW, 404: 'No such token among yours' },
  })
  get(@Auth() principal: Principal, @Param('id', uuid) id: string, @Query() query: TokenUsageQueryDto): Promise<TokenUsageDto> {
    return this.usage.ownUsage(principal.user.id, id, query);
  }
}

/** Any user's token's usage and the busiest tokens, for administrators (privilege MANAGE_ALL_ACCESS_TOKENS). */
@ApiTags('tokens')
@LibraryController('admin/personal-access-tokens')
@RequirePrivileges(Privilege.ManageAllTokens)
export class AdminTokenUsageController {
  constructor(private readonly usage: TokenUsageService) {}

  /**
   * List the busiest personal access tokens (administrators)
   * @remarks The tokens with the most requests in the last 24 hours, 7 days or 30 days, with their
   * owner, refused and failed requests, and last use; counted from the audit trail.
   */
  @Get('busiest')
  @AuditAction('personal_access_token.admin_busiest', { target: null })
  @Endpoint({
    operationId: 'adminListBusiestPersonalAccessTokens',
    scopes: ['admin:read'],
    errors: { 400: 'Invalid window or limit (the field is named)' },
  })
  busiest(@Query() query: BusiestTokensQueryDto): Promise<BusiestTokensDto> {
    return this.usage.busiest(query);
  }

  /**
   * Get the usage of any user's personal access token (administrators)
   * @remarks As `getPersonalAccessTokenUsage`, for any token.
   */
  @Get(':id/usage')
  @AuditAction('personal_access_token.admin_read_usage')
  @Endpoint({
    operationId: 'adminGetPersonalAccessTokenUsage',
    scopes: ['admin:read'],
    uuidParams: ['id'],
    errors: { 400: INVALID_WINDOW, 404: 'No such token' },
  })
  get(@Param('id', uuid) id: string, @Query() query: TokenUsageQueryDto): Promise<TokenUsageDto> {
    return this.usage.anyUsage(id, query);
  }
}
