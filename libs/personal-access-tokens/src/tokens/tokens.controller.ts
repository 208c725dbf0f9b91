import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { NoStore } from '../core/no-store.decorator';
import { Auth } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';
import { ParseIdPipe } from '../core/parse-id.pipe';
import { Endpoint } from '../scopes/endpoint.decorator';
import { Privilege } from '../scopes/privileges';
import {
  AddScopeDto,
  CreatedTokenResponseDto,
  CreateTokenDto,
  ListTokensQueryDto,
  RegenerateTokenDto,
  RotateTokenDto,
  TokenDetailResponseDto,
  TokenPageDto,
  TokenResponseDto,
  TokenScopesDto,
  UpdateTokenDto,
} from './dto/token.dto';
import { PersonalAccessToken } from './personal-access-token.entity';
import { TokensService } from './tokens.service';
import { TokenSuspensionService } from './token-suspension.service';

const READ = 'personal_access_tokens:read';
const WRITE = 'personal_access_tokens:write';
const uuid = new ParseIdPipe();
const NOT_YOURS = 'No such token among yours';
/** Routes on one token by id: another user's token is a 404, a malformed id a 400. */
const OWN_TOKEN = { uuidParams: ['id'], errors: { 404: NOT_YOURS } };

/** The caller's own personal access tokens. Another user's token is always a 404. */
@ApiTags('tokens')
@LibraryController('user/me/personal-access-tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly suspension: TokenSuspensionService,
  ) {}

  /**
   * Create a personal access token
   * @remarks The secret is in this response only: store it now.
   */
  @Post()
  @NoStore()
  @AuditAction('personal_access_token.create', {
    creates: PersonalAccessToken,
    bodyFields: ['name', 'description', 'scopes', 'expiresIn', 'expiresAt', 'allowedIps'],
  })
  @Endpoint({
    operationId: 'createPersonalAccessToken',
    scopes: [WRITE],
    privileges: [Privilege.GenerateTokens],
    errors: {
      400: 'Invalid input, an unknown scope, an `expiresAt` not in the future (`expiry_in_past`), or an expiry the policy refuses',
      403: "A scope your role or the calling token may not grant (`scope_not_grantable`, `token_escalation`), or an expiry beyond the calling token's own (`token_escalation`)",
      409: 'Name taken, or the live-token cap reached',
    },
  })
  create(@Auth() principal: Principal, @Body() body: CreateTokenDto): Promise<CreatedTokenResponseDto> {
    return this.tokens.create(principal, body);
  }

  /**
   * List your personal access tokens
   * @remarks Newest first by default, with filters and sorting. Never contains a secret.
   */
  @Get()
  @AuditAction('personal_access_token.list')
  @Endpoint({ operationId: 'listPersonalAccessTokens', scopes: [READ], errors: { 400: 'Invalid filter, sort or page' } })
  list(@Auth() principal: Principal, @Query() query: ListTokensQueryDto): Promise<TokenPageDto> {
    return this.tokens.list(principal.user.id, query);
  }

  /** Delete all your personal access tokens */
  @Delete()
  @AuditAction('personal_access_token.delete_all')
  @HttpCode(204)
  @Endpoint({ operationId: 'deleteAllPersonalAccessTokens', scopes: [WRITE] })
  @ApiNoContentResponse()
  async deleteAll(@Auth() principal: Principal): Promise<void> {
    await this.tokens.deleteAll(principal);
  }

  /**
   * Get the token this request was made with
   * @remarks Needs no scope: any personal access token may read itself.
   */
  @Get('self')
  @AuditAction('personal_access_token.read_self')
  @Endpoint({
    operationId: 'getCurrentPersonalAccessToken',
    scopes: [],
    errors: { 403: 'The request was not made with a personal access token (`not_a_token_request`)' },
  })
  self(@Auth() principal: Principal): Promise<TokenResponseDto> {
    return this.tokens.self(principal);
  }

  /** Get one of your personal access tokens */
  @Get(':id')
  @AuditAction('personal_access_token.read')
  @Endpoint({ ...OWN_TOKEN, operationId: 'getPersonalAccessToken', scopes: [READ], scopeOptions: { selfParam: 'id' } })
  get(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenDetailResponseDto> {
    return this.tokens.detail(principal.user.id, id);
  }

  /**
   * Update a personal access token
   * @remarks Rename, describe or re-scope a token. The expiry cannot be changed here.
   */
  @Patch(':id')
  @AuditAction('personal_access_token.update', { bodyFields: ['name', 'description', 'scopes', 'allowedIps'] })
  @Endpoint({
    operationId: 'updatePersonalAccessToken',
    scopes: [WRITE],
    uuidParams: ['id'],
    optionalBody: UpdateTokenDto,
    errors: {
      400: 'Invalid input, an unknown scope, or an attempt to change the expiry',
      403: 'A scope your role or the calling token may not grant (`scope_not_grantable`, `token_escalation`)',
      404: NOT_YOURS,
      409: 'Name taken',
    },
  })
  update(@Auth() principal: Principal, @Param('id', uuid) id: string, @Body() body: UpdateTokenDto): Promise<TokenResponseDto> {
    return this.tokens.update(principal, id, body);
  }

  /** Delete a personal access token */
  @Delete(':id')
  @AuditAction('personal_access_token.delete')
  @HttpCode(204)
  @Endpoint({ ...OWN_TOKEN, operationId: 'deletePersonalAccessToken', scopes: [WRITE], scopeOptions: { selfParam: 'id' } })
  @ApiNoContentResponse()
  delete(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<void> {
    return this.tokens.delete(principal, id);
  }

  /**
   * Revoke a personal access token
   * @remarks At once: the next request with this token is refused. A token may revoke itself.
   */
  @Post(':id/revoke')
  @AuditAction('personal_access_token.revoke')
  @HttpCode(200)
  @Endpoint({ ...OWN_TOKEN, operationId: 'revokePersonalAccessToken', scopes: [WRITE], scopeOptions: { selfParam: 'id' } })
  revoke(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.tokens.revoke(principal, id);
  }

  /**
   * Suspend a personal access token
   * @remarks Refused everywhere from the next request on (this instance at once, others within the
   * verification cache's lifetime) until resumed; nothing else changes. Suspending a suspended token
   * changes nothing. A token may suspend itself.
   */
  @Post(':id/suspend')
  @AuditAction('personal_access_token.suspend')
  @HttpCode(200)
  @Endpoint({
    ...OWN_TOKEN,
    operationId: 'suspendPersonalAccessToken',
    scopes: [WRITE],
    scopeOptions: { selfParam: 'id' },
    errors: { 404: NOT_YOURS, 409: 'The token is revoked or expired (`token_state_conflict`)' },
  })
  suspend(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.suspension.suspend(principal, id);
  }

  /**
   * Resume a suspended personal access token
   * @remarks It works again as before, with the same expiry (resuming never extends it). Resuming an
   * active token changes nothing.
   */
  @Post(':id/resume')
  @AuditAction('personal_access_token.resume')
  @HttpCode(200)
  @Endpoint({
    ...OWN_TOKEN,
    operationId: 'resumePersonalAccessToken',
    scopes: [WRITE],
    errors: {
      403: 'Requires scope personal_access_tokens:write (`insufficient_scope`); or an administrator suspended the token (`suspended_by_administrator`)',
      404: NOT_YOURS,
      409: 'The token is revoked or expired (`token_state_conflict`)',
    },
  })
  resume(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenResponseDto> {
    return this.suspension.resume(principal, id);
  }

  /**
   * Rotate a personal access token
   * @remarks A new secret for an active token with an expiry, at most once an hour; the old secret stops
   * working at once, and presenting it again revokes the token. A token may rotate itself. The body is optional.
   */
  @Patch(':id/rotate')
  @NoStore()
  @AuditAction('personal_access_token.rotate', { bodyFields: ['expiresIn', 'expiresAt'] })
  @Endpoint({
    operationId: 'rotatePersonalAccessToken',
    scopes: [WRITE],
    scopeOptions: { selfParam: 'id' },
    uuidParams: ['id'],
    optionalBody: RotateTokenDto,
    errors: {
      400: 'Invalid expiry, an `expiresAt` not in the future (`expiry_in_past`), one the policy refuses, or a token that never expires',
      403: 'Requires scope personal_access_tokens:write (`insufficient_scope`); a token scope your role no longer grants (`scope_not_grantable`); or a scope the calling token does not hold, or an expiry beyond its own (`token_escalation`)',
      404: NOT_YOURS,
      409: 'Not active (suspended, revoked or expired), rotated too recently, or rotated concurrently',
    },
  })
  rotate(@Auth() principal: Principal, @Param('id', uuid) id: string, @Body() body: RotateTokenDto): Promise<CreatedTokenResponseDto> {
    return this.tokens.rotate(principal, id, body);
  }

  /**
   * Regenerate a revoked or expired personal access token
   * @remarks The token is made active again with a new secret and lifetime. The body is optional.
   */
  @Post(':id/regenerate')
  @NoStore()
  @AuditAction('personal_access_token.regenerate', { bodyFields: ['expiresIn', 'expiresAt'] })
  @HttpCode(200)
  @Endpoint({
    operationId: 'regeneratePersonalAccessToken',
    scopes: [WRITE],
    privileges: [Privilege.GenerateTokens],
    uuidParams: ['id'],
    optionalBody: RegenerateTokenDto,
    errors: {
      400: 'Invalid expiry, an `expiresAt` not in the future (`expiry_in_past`), or one the policy refuses',
      403: 'Requires scope personal_access_tokens:write (`insufficient_scope`); a kept scope your role no longer grants (`scope_not_grantable`); or a scope the calling token does not hold, or an expiry beyond its own (`token_escalation`)',
      404: NOT_YOURS,
      409: 'The token is active (rotate it instead) or suspended (resume it), or the live-token cap is reached',
    },
  })
  regenerate(
    @Auth() principal: Principal,
    @Param('id', uuid) id: string,
    @Body() body: RegenerateTokenDto,
  ): Promise<CreatedTokenResponseDto> {
    return this.tokens.regenerate(principal, id, body);
  }

  /** List a personal access token's scopes */
  @Get(':id/scopes')
  @AuditAction('personal_access_token.list_scopes', { target: 'personal_access_token' })
  @Endpoint({ ...OWN_TOKEN, operationId: 'listPersonalAccessTokenScopes', scopes: [READ], scopeOptions: { selfParam: 'id' } })
  listScopes(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<TokenScopesDto> {
    return this.tokens.listScopes(principal.user.id, id);
  }

  /**
   * Add a scope to a personal access token
   * @remarks Within your role, and within the calling token's scopes. 201 when it was added, 200
   * when the token already had it.
   */
  @Post(':id/scopes')
  @AuditAction('personal_access_token.add_scope', { target: 'personal_access_token', bodyFields: ['scope'] })
  @Endpoint({
    operationId: 'addPersonalAccessTokenScope',
    scopes: [WRITE],
    uuidParams: ['id'],
    errors: {
      400: 'An invalid or unknown scope, or a 51st scope',
      403: 'A scope your role or the calling token may not grant (`scope_not_grantable`, `token_escalation`)',
      404: NOT_YOURS,
    },
  })
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

  /** Remove every scope from a personal access token */
  @Delete(':id/scopes')
  @AuditAction('personal_access_token.remove_all_scopes', { target: 'personal_access_token' })
  @HttpCode(204)
  @Endpoint({ ...OWN_TOKEN, operationId: 'removeAllPersonalAccessTokenScopes', scopes: [WRITE] })
  @ApiNoContentResponse()
  removeAllScopes(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<void> {
    return this.tokens.removeAllScopes(principal, id);
  }

  /** Remove one scope from a personal access token */
  @Delete(':id/scopes/:scope')
  @AuditAction('personal_access_token.remove_scope', { target: 'personal_access_token' })
  @HttpCode(204)
  @Endpoint({
    operationId: 'removePersonalAccessTokenScope',
    scopes: [WRITE],
    uuidParams: ['id'],
    errors: { 404: 'No such token among yours, or the token does not have this scope' },
  })
  @ApiNoContentResponse()
  removeScope(@Auth() principal: Principal, @Param('id', uuid) id: string, @Param('scope') scope: string): Promise<void> {
    return this.tokens.removeScope(principal, id, scope);
  }
}
