import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { Auth } from '../../scopes/auth.decorators';
import { Principal } from '../../scopes/principal';
import { ErrorResponseDto } from '../../core/error-response.dto';
import { ParseIdPipe } from '../../core/parse-id.pipe';
import { RequirePrivileges, RequireScopes } from '../../scopes/require-scopes.decorator';
import { TokenPageDto, TokenResponseDto } from '../dto/token.dto';
import { Privilege } from '../../scopes/privileges';
import { AdminTokensService } from './admin-tokens.service';
import { AdminListTokensQueryDto, UserCredentialsRevokedDto } from './dto/admin-tokens.dto';

const uuid = new ParseIdPipe();

/** Everyone's tokens, for administrators (privilege MANAGE_ALL_ACCESS_TOKENS). */
@ApiTags('admin')
@Controller('admin')
@RequirePrivileges(Privilege.ManageAllTokens)
export class AdminTokensController {
  constructor(private readonly admin: AdminTokensService) {}

  /** All tokens of the organisation, newest first, with filters. Never contains a secret. */
  @Get('personal-access-tokens')
  @AuditAction('personal_access_token.admin_list', { target: null })
  @RequireScopes('admin:read')
  @ApiBadRequestResponse({ description: 'Invalid filter', type: ErrorResponseDto })
  list(@Query() query: AdminListTokensQueryDto): Promise<TokenPageDto> {
    return this.admin.list(query);
  }

  /** Revoke any user's token at once; the owner is notified through the webhook. */
  @Post('personal-access-tokens/:id/revoke')
  @AuditAction('personal_access_token.admin_revoke', { target: 'personal_access_token' })
  @HttpCode(200)
  @RequireScopes('admin:write')
  @ApiNotFoundResponse({ description: 'No such token', type: ErrorResponseDto })
  revoke(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.admin.revoke(principal.user.id, id);
  }

  /** Revoke all of a user's tokens and end their login sessions; the account itself stays. */
  @Post('users/:id/personal-access-tokens/revoke')
  @AuditAction('user.revoke_all_credentials', { target: 'user' })
  @HttpCode(200)
  @RequireScopes('admin:write')
  @ApiNotFoundResponse({ description: 'No such user', type: ErrorResponseDto })
  revokeAllForUser(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<UserCredentialsRevokedDto> {
    return this.admin.revokeAllForUser(principal.user.id, id);
  }
}
