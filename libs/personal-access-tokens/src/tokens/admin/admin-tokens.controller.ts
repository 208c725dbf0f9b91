import { Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { LibraryController } from '../../core/library-controller.decorator';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { Auth } from '../../scopes/auth.decorators';
import { Principal } from '../../scopes/principal';
import { ParseIdPipe } from '../../core/parse-id.pipe';
import { RequirePrivileges } from '../../scopes/require-scopes.decorator';
import { Endpoint } from '../../scopes/endpoint.decorator';
import { TokenDetailResponseDto, TokenPageDto, TokenResponseDto } from '../dto/token.dto';
import { Privilege } from '../../scopes/privileges';
import { AdminTokensService } from './admin-tokens.service';
import { TokenSuspensionService } from '../token-suspension.service';
import { AdminListTokensQueryDto, UserCredentialsRevokedDto } from './dto/admin-tokens.dto';

const uuid = new ParseIdPipe();

/** Everyone's tokens, for administrators (privilege MANAGE_ALL_ACCESS_TOKENS). */
@ApiTags('tokens')
@LibraryController('admin')
@RequirePrivileges(Privilege.ManageAllTokens)
export class AdminTokensController {
  constructor(
    private readonly admin: AdminTokensService,
    private readonly suspension: TokenSuspensionService,
  ) {}

  /**
   * List every user's personal access tokens (administrators)
   * @remarks All tokens of the organisation, newest first, with filters. Never contains a secret.
   */
  @Get('personal-access-tokens')
  @AuditAction('personal_access_token.admin_list', { target: null })
  @Endpoint({ operationId: 'adminListPersonalAccessTokens', scopes: ['admin:read'], errors: { 400: 'Invalid filter or page' } })
  list(@Query() query: AdminListTokensQueryDto): Promise<TokenPageDto> {
    return this.admin.list(query);
  }

  /**
   * Get any user's personal access token (administrators)
   * @remarks Its metadata, for the page's detail view of someone else's token. Never a secret.
   */
  @Get('personal-access-tokens/:id')
  @AuditAction('personal_access_token.admin_read')
  @Endpoint({ operationId: 'adminGetPersonalAccessToken', scopes: ['admin:read'], uuidParams: ['id'], errors: { 404: 'No such token' } })
  get(@Param('id', uuid) id: string): Promise<TokenDetailResponseDto> {
    return this.admin.detail(id);
  }

  /**
   * Revoke any user's personal access token (administrators)
   * @remarks At once; the owner is notified through the webhook, where one is configured.
   */
  @Post('personal-access-tokens/:id/revoke')
  @AuditAction('personal_access_token.admin_revoke', { target: 'personal_access_token' })
  @HttpCode(200)
  @Endpoint({
    operationId: 'adminRevokePersonalAccessToken',
    scopes: ['admin:write'],
    uuidParams: ['id'],
    errors: { 404: 'No such token' },
  })
  revoke(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.admin.revoke(principal.user.id, id);
  }

  /**
   * Suspend any user's personal access token (administrators)
   * @remarks Refused everywhere until an administrator resumes it (the owner cannot); the owner is
   * notified through the webhook, where one is configured.
   */
  @Post('personal-access-tokens/:id/suspend')
  @AuditAction('personal_access_token.admin_suspend', { target: 'personal_access_token' })
  @HttpCode(200)
  @Endpoint({
    operationId: 'adminSuspendPersonalAccessToken',
    scopes: ['admin:write'],
    uuidParams: ['id'],
    errors: { 404: 'No such token', 409: 'The token is revoked or expired (`token_state_conflict`)' },
  })
  suspend(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.suspension.adminSuspend(principal.user.id, id);
  }

  /**
   * Resume any user's suspended personal access token (administrators)
   * @remarks With the same expiry: resuming never extends it.
   */
  @Post('personal-access-tokens/:id/resume')
  @AuditAction('personal_access_token.admin_resume', { target: 'personal_access_token' })
  @HttpCode(200)
  @Endpoint({
    operationId: 'adminResumePersonalAccessToken',
    scopes: ['admin:write'],
    uuidParams: ['id'],
    errors: { 404: 'No such token', 409: 'The token is revoked or expired (`token_state_conflict`)' },
  })
  resume(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.suspension.adminResume(principal.user.id, id);
  }

  /**
   * Revoke all of a user's credentials (administrators)
   * @remarks Revokes every token of the user and ends their login sessions; the account itself stays.
   */
  @Post('users/:id/personal-access-tokens/revoke')
  @AuditAction('user.revoke_all_credentials', { target: 'user' })
  @HttpCode(200)
  @Endpoint({ operationId: 'adminRevokeUserCredentials', scopes: ['admin:write'], uuidParams: ['id'], errors: { 404: 'No such user' } })
  revokeAllForUser(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<UserCredentialsRevokedDto> {
    return this.admin.revokeAllForUser(principal.user.id, id);
  }
}
