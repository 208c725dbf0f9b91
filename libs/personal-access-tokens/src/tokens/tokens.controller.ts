import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { Auth } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';
import { ErrorResponseDto } from '../core/error-response.dto';
import { ParseIdPipe } from '../core/parse-id.pipe';
import { RequirePrivileges, RequireScopes } from '../scopes/require-scopes.decorator';
import { Privilege } from '../scopes/privileges';
import {
  AddScopeDto,
  CreatedTokenResponseDto,
  CreateTokenDto,
  ListTokensQueryDto,
  RegenerateTokenDto,
  RotateTokenDto,
  TokenPageDto,
  TokenResponseDto,
  TokenScopesDto,
  UpdateTokenDto,
} from './dto/token.dto';
import { PersonalAccessToken } from './personal-access-token.entity';
import { TokensService } from './tokens.service';

const READ = 'personal_access_tokens:read';
const WRITE = 'personal_access_tokens:write';
const uuid = new ParseIdPipe();

/** The caller's own personal access tokens. Another user's token is always a 404. */
@ApiTags('personal access tokens')
@ApiNotFoundResponse({ description: 'No such token among yours', type: ErrorResponseDto })
@ApiBadRequestResponse({ description: 'Invalid input', type: ErrorResponseDto })
@Controller('user/me/personal-access-tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** Create a token. The secret is in this response only: store it now. */
  @Post()
  @AuditAction('personal_access_token.create', {
    creates: PersonalAccessToken,
    bodyFields: ['name', 'description', 'scopes', 'expiresIn', 'expiresAt'],
  })
  @RequireScopes(WRITE)
  @RequirePrivileges(Privilege.GenerateTokens)
  @ApiConflictResponse({ description: 'Name taken, or the live-token cap reached', type: ErrorResponseDto })
  create(@Auth() principal: Principal, @Body() body: CreateTokenDto): Promise<CreatedTokenResponseDto> {
    return this.tokens.create(principal, body);
  }

  /** Your tokens, newest first, with filters. Never contains a secret. */
  @Get()
  @AuditAction('personal_access_token.list')
  @RequireScopes(READ)
  list(@Auth() principal: Principal, @Query() query: ListTokensQueryDto): Promise<TokenPageDto> {
    return this.tokens.list(principal.user.id, query);
  }

  /** Delete all your tokens. */
  @Delete()
  @AuditAction('personal_access_token.delete_all')
  @HttpCode(204)
  @RequireScopes(WRITE)
  @ApiNoContentResponse()
  async deleteAll(@Auth() principal: Principal): Promise<void> {
    await this.tokens.deleteAll(principal.user.id);
  }

  /** The token this request was made with. */
  @Get('self')
  @AuditAction('personal_access_token.read_self')
  @RequireScopes()
  self(@Auth() principal: Principal): Promise<TokenResponseDto> {
    return this.tokens.self(principal);
  }

  @Get(':id')
  @AuditAction('personal_access_token.read')
  @RequireScopes(READ, { selfParam: 'id' })
  get(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.tokens.get(principal.user.id, id);
  }

  /** Rename, describe or re-scope a token. The expiry cannot be changed here. */
  @Patch(':id')
  @AuditAction('personal_access_token.update', { bodyFields: ['name', 'description', 'scopes'] })
  @RequireScopes(WRITE)
  @ApiConflictResponse({ description: 'Name taken', type: ErrorResponseDto })
  update(@Auth() principal: Principal, @Param('id', uuid) id: string, @Body() body: UpdateTokenDto): Promise<TokenResponseDto> {
    return this.tokens.update(principal, id, body);
  }

  @Delete(':id')
  @AuditAction('personal_access_token.delete')
  @HttpCode(204)
  @RequireScopes(WRITE, { selfParam: 'id' })
  @ApiNoContentResponse()
  delete(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<void> {
    return this.tokens.delete(principal.user.id, id);
  }

  /** Revoke at once: the next request with this token is refused. A token may revoke itself. */
  @Post(':id/revoke')
  @AuditAction('personal_access_token.revoke')
  @HttpCode(200)
  @RequireScopes(WRITE, { selfParam: 'id' })
  revoke(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.tokens.revoke(principal.user.id, id);
  }

  /**
   * A new secret for an active token with an expiry, at most once an hour; the old secret stops
   * working at once, and presenting it again revokes the token. A token may rotate itself.
   */
  @Patch(':id/rotate')
  @AuditAction('personal_access_token.rotate', { bodyFields: ['expiresIn', 'expiresAt'] })
  @RequireScopes(WRITE, { selfParam: 'id' })
  @ApiConflictResponse({ description: 'Not active, rotated too recently, or rotated concurrently', type: ErrorResponseDto })
  rotate(@Auth() principal: Principal, @Param('id', uuid) id: string, @Body() body: RotateTokenDto): Promise<CreatedTokenResponseDto> {
    return this.tokens.rotate(principal, id, body);
  }

  /** A revoked or expired token made active again with a new secret and lifetime. */
  @Post(':id/regenerate')
  @AuditAction('personal_access_token.regenerate', { bodyFields: ['expiresIn', 'expiresAt'] })
  @HttpCode(200)
  @RequireScopes(WRITE)
  @RequirePrivileges(Privilege.GenerateTokens)
  @ApiConflictResponse({ description: 'The token is active (rotate it instead)', type: ErrorResponseDto })
  regenerate(
    @Auth() principal: Principal,
    @Param('id', uuid) id: string,
    @Body() body: RegenerateTokenDto,
  ): Promise<CreatedTokenResponseDto> {
    return this.tokens.regenerate(principal, id, body);
  }

  @Get(':id/scopes')
  @AuditAction('personal_access_token.list_scopes', { target: 'personal_access_token' })
  @RequireScopes(READ, { selfParam: 'id' })
  listScopes(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenScopesDto> {
    return this.tokens.listScopes(principal.user.id, id);
  }

  /**
   * Grant one more scope (within your role, and within the calling token's scopes). 201 when it
   * was added, 200 when the token already had it.
   */
  @Post(':id/scopes')
  @AuditAction('personal_access_token.add_scope', { target: 'personal_access_token', bodyFields: ['scope'] })
  @RequireScopes(WRITE)
  @ApiCreatedResponse({ description: 'The scope was added', type: TokenScopesDto })
  @ApiOkResponse({ description: 'The token already had the scope; nothing changed', type: TokenScopesDto })
  async addScope(
    @Auth() principal: Principal,
    @Param('id', uuid) id: string,
    @Body() body: AddScopeDto,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ): Promise<TokenScopesDto> {
    const { added, scopes } = await this.tokens.addScope(principal, id, body.scope);
    if (!added) response.status(200);
    return scopes;
  }

  @Delete(':id/scopes')
  @AuditAction('personal_access_token.remove_all_scopes', { target: 'personal_access_token' })
  @HttpCode(204)
  @RequireScopes(WRITE)
  @ApiNoContentResponse()
  removeAllScopes(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<void> {
    return this.tokens.removeAllScopes(principal.user.id, id);
  }

  @Delete(':id/scopes/:scope')
  @AuditAction('personal_access_token.remove_scope', { target: 'personal_access_token' })
  @HttpCode(204)
  @RequireScopes(WRITE)
  @ApiNoContentResponse()
  removeScope(@Auth() principal: Principal, @Param('id', uuid) id: string, @Param('scope') scope: string): Promise<void> {
    return this.tokens.removeScope(principal.user.id, id, scope);
  }
}
