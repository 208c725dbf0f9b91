import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, Not, Repository } from 'typeorm';
import { Principal } from '../scopes/principal';
import { Clock } from '../core/clock';
import { isUniqueViolation } from '../core/database-errors';
import { BadRequestError, NotFoundError, ValidationFailedError } from '../core/domain-error';
import { validateInput } from '../core/validation';
import { Page } from '../core/pagination.dto';
import { TokenEvent, TokenEvents, TokenEventType } from '../core/token-events';
import { lockedForUpdate } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { GrantRules } from '../scopes/grant-rules';
import { parseScope } from '../scopes/scope';
import { UserDirectory } from '../core/user-directory';
import { CallerTransactions, TokenActor } from './caller-transactions.service';
import { SecretIssuancePolicy } from './secret-issuance.policy';
import { AllowListPolicy } from './allow-list-policy';
import { normalizeAllowList } from './ip-allow-list';
import { recentAddressesOf } from './token-usage';
import {
  CreatedTokenResponseDto,
  CreateTokenDto,
  TokenDetailResponseDto,
  ListTokensQueryDto,
  MAX_SCOPES_PER_TOKEN,
  RegenerateTokenDto,
  RotateTokenDto,
  TokenResponseDto,
  TokenScopesDto,
  UpdateTokenDto,
} from './dto/token.dto';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';
import { effectiveStatus, PersonalAccessToken } from './personal-access-token.entity';
import { RetiredTokenDigest } from './retired-token-digest.entity';
import { resolveExpiry } from './token-expiry';
import { tokenNameKey } from './token-name';
import { tokenPage, toTokenResponse, whereEffectiveStatus, whereLive, whereNameContains } from './token-listing';
import { generateTokenSecret } from './token-format';
import { TokenHasher } from './token-hasher';
import { TokenBookkeepingService } from './token-bookkeeping.service';
import { findTokenWithScopes } from './token-lookup';
import { TokenVerificationService, VerifiedToken } from './token-verification.service';
import { verifiedRowOf } from './verified-rows';
import {
  NotATokenRequestError,
  RotationConflictError,
  RotationTooSoonError,
  ScopeNotOnTokenError,
  TokenLimitReachedError,
  TokenNameTakenError,
  TokenNotActiveError,
  TokenNotFoundError,
  TokenWithoutExpiryError,
} from './tokens.errors';

export type { TokenActor } from './caller-transactions.service';
export type { VerifiedToken } from './token-verification.service';

/**
 * The lifecycle of personal access tokens. Every query carries the owner's id, so another
 * user's token is simply not found; every change runs in a `CallerTransactions` transaction
 * (under the owner's lock, with the calling credential re-checked), and every check-then-act
 * is a conditional write or runs under that lock. Every secret is handed out under
 * `SecretIssuancePolicy`.
 */
@Injectable()
export class TokensService {
  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    @InjectRepository(PersonalAccessTokenScope) private readonly scopes: Repository<PersonalAccessTokenScope>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly grantRules: GrantRules,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly callers: CallerTransactions,
    private readonly issuance: SecretIssuancePolicy,
    private readonly verification: TokenVerificationService,
    private readonly bookkeeping: TokenBookkeepingService,
    private readonly allowListPolicy: AllowListPolicy,
  ) {}

  async create(actor: TokenActor, input: CreateTokenDto): Promise<CreatedTokenResponseDto> {
    const scopes = [...new Set(input.scopes)];
    this.grantRules.assertKnown(scopes);
    const now = this.clock.now();
    const expiresAt = resolveExpiry(input, this.options.policy, now);
    const allowedIps = normalizeAllowList(input.allowedIps) ?? null;
    this.allowListPolicy.assertSatisfied(scopes, allowedIps);
    (await this.issuance.issuerFor(actor)).assertMayReceive({ scopes, expiresAt });
    const secret = generateTokenSecret(this.options.tokenPrefix);
    const token: PersonalAccessToken = {
      id: randomUUID(),
      userId: actor.user.id,
      name: input.name,
      nameKey: tokenNameKey(input.name),
      description: input.description ?? null,
      digest: this.hasher.digest(secret),
      status: 'active',
      createdAt: now,
      expiresAt,
      revokedAt: null,
      rotatedAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
      lastUsedUserAgent: null,
      allowedIps,
      suspendedAt: null,
      suspendedBy: null,
    };
    await this.withNameCheck(input.name, () =>
      this.callers.run(actor, async (manager) => {
        await this.assertBelowCap(manager, actor.user.id, now);
        await manager.insert(PersonalAccessToken, token);
        await manager.insert(
          PersonalAccessTokenScope,
          scopes.map((scope) => ({ tokenId: token.id, scope })),
        );
      }),
    );
    await this.publish('token.created', actor.user.id, token, now, { scopes, expiresAt, ...(allowedIps && { allowedIps }) });
    return { ...toTokenResponse(token, scopes, now), token: secret };
  }

  /**
   * Mints a token for a user programmatically (no HTTP request), with the same rules as the API:
   * the input is validated as the route's body is, the user must exist and be active, and their
   * role must allow the scopes.
   *
   * @example
   * const { token } = await tokens.mint(user.id, { name: 'nightly-report', scopes: ['reports:read'], expiresIn: '7d' });
   */
  async mint(userId: string, input: CreateTokenDto): Promise<CreatedTokenResponseDto> {
    if (typeof userId !== 'string' || userId === '')
      throw new ValidationFailedError([{ field: 'userId', reason: 'userId must be a non-empty string' }]);
    const checked = await validateInput(CreateTokenDto, input);
    const user = await this.directory.findById(userId);
    if (!user) throw new NotFoundError('user_not_found', 'No such user');
    if (!user.active) throw new BadRequestError('user_inactive', 'Tokens can only be minted for an active user');
    return this.create({ user }, checked);
  }

  async list(userId: string, query: ListTokensQueryDto): Promise<Page<TokenResponseDto>> {
    const now = this.clock.now();
    const builder = this.tokens.createQueryBuilder('t').where('t.userId = :userId', { userId });
    whereEffectiveStatus(builder, query.status, now);
    whereNameContains(builder, query.search);
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    return tokenPage(builder.orderBy(`t.${query.sort}`, direction).addOrderBy('t.id', direction), this.scopes, query, now);
  }

  async get(userId: string, id: string): Promise<TokenResponseDto> {
    const found = await findTokenWithScopes(this.tokens.manager, 't.id = ? AND t.user_id = ?', [id, userId]);
    if (!found) throw new TokenNotFoundError();
    return toTokenResponse(found.token, found.scopes, this.clock.now());
  }

  /** One token with where it was used (its recent addresses). */
  async detail(userId: string, id: string): Promise<TokenDetailResponseDto> {
    const token = await this.get(userId, id);
    return { ...token, recentAddresses: await recentAddressesOf(this.tokens.manager, id) };
  }

  /** The calling PAT's own metadata (GitLab's `/self`). */
  async self(principal: Principal): Promise<TokenResponseDto> {
    if (!principal.token) throw new NotATokenRequestError();
    // Verified on this request (from the database, or the verification cache that every change invalidates).
    const row = verifiedRowOf(principal);
    if (row) return toTokenResponse(row, principal.token.scopes, this.clock.now());
    return this.get(principal.user.id, principal.token.id);
  }

  async update(actor: TokenActor, id: string, changes: UpdateTokenDto): Promise<TokenResponseDto> {
    const scopes = changes.scopes && [...new Set(changes.scopes)];
    if (scopes) this.grantRules.assertGrantable(actor, scopes);
    const allowedIps = normalizeAllowList(changes.allowedIps);
    const userId = actor.user.id;
    await this.withNameCheck(changes.name ?? '', () =>
      this.callers.run(actor, async (manager) => {
        const token = await this.findOwned(manager, userId, id);
        if (scopes || allowedIps !== undefined) {
          this.allowListPolicy.assertSatisfied(
            scopes ?? (await this.scopesOf(manager, id)),
            allowedIps === undefined ? token.allowedIps : allowedIps,
          );
        }
        const patch: Partial<PersonalAccessToken> = {};
        if (allowedIps !== undefined) patch.allowedIps = allowedIps;
        if (changes.name !== undefined) Object.assign(patch, { name: changes.name, nameKey: tokenNameKey(changes.name) });
        if (changes.description !== undefined) patch.description = changes.description;
        if (Object.keys(patch).length) await manager.update(PersonalAccessToken, { id, userId }, patch);
        if (scopes) {
          await manager.delete(PersonalAccessTokenScope, { tokenId: id });
          await manager.insert(
            PersonalAccessTokenScope,
            scopes.map((scope) => ({ tokenId: id, scope })),
          );
        }
      }),
    );
    const updated = await this.get(userId, id);
    await this.publish('token.updated', userId, updated, this.clock.now(), {
      changed: Object.keys(changes),
      ...(allowedIps !== undefined && { allowedIps }),
    });
    return updated;
  }

  /** Revoked at once; revoking a revoked token changes nothing (and announces nothing). */
  async revoke(actor: TokenActor, id: string): Promise<TokenResponseDto> {
    const userId = actor.user.id;
    const now = this.clock.now();
    const result = await this.callers.run(actor, async (manager) => {
      await this.findOwned(manager, userId, id);
      return manager.update(PersonalAccessToken, { id, userId, status: Not('revoked') }, { status: 'revoked', revokedAt: now });
    });
    const revoked = await this.get(userId, id);
    if (result.affected) await this.publish('token.revoked', userId, revoked, now);
    return revoked;
  }

  /** Of concurrent deletions of one token, the one whose delete removed the row answers; the others find nothing (404). */
  async delete(actor: TokenActor, id: string): Promise<void> {
    const userId = actor.user.id;
    const token = await this.callers.run(actor, async (manager) => {
      const found = await this.findOwned(manager, userId, id);
      const result = await manager.delete(PersonalAccessToken, { id, userId });
      if (result.affected !== 1) throw new TokenNotFoundError();
      return found;
    });
    await this.publish('token.deleted', userId, token, this.clock.now());
  }

  /** Deletes every token of the user; answers how many this call deleted. */
  async deleteAll(actor: TokenActor): Promise<number> {
    const userId = actor.user.id;
    const tokens = await this.callers.run(actor, async (manager) => {
      // Locked, so that the rows announced below are exactly the rows this delete removed.
      const found = await lockedForUpdate(
        manager.createQueryBuilder(PersonalAccessToken, 't').where('t.userId = :userId', { userId }),
      ).getMany();
      if (found.length) await manager.delete(PersonalAccessToken, { id: In(found.map((t) => t.id)), userId });
      return found;
    });
    const now = this.clock.now();
    for (const token of tokens) await this.publish('token.deleted', userId, token, now);
    return tokens.length;
  }

  /**
   * A new secret for an active token that has an expiry, at most once per rotation interval. Same
   * id, name and scopes; the old secret stops working at once and is kept (as a digest) for reuse
   * detection. Concurrent rotations: the conditional update on the old digest lets exactly one win.
   */
  async rotate(actor: TokenActor, id: string, input: RotateTokenDto): Promise<CreatedTokenResponseDto> {
    const userId = actor.user.id;
    const now = this.clock.now();
    const secret = generateTokenSecret(this.options.tokenPrefix);
    const digest = this.hasher.digest(secret);
    const expiresAt = resolveExpiry(input, this.options.policy, now);
    const issuer = await this.issuance.issuerFor(actor);
    await this.callers.run(actor, async (manager) => {
      const token = await this.findOwned(manager, userId, id);
      issuer.assertMayReceive({ scopes: await this.scopesOf(manager, id), expiresAt });
      const status = effectiveStatus(token, now);
      if (status !== 'active') throw new TokenNotActiveError('rotated', status);
      if (!token.expiresAt) throw new TokenWithoutExpiryError();
      if (token.rotatedAt) {
        const availableAt = new Date(token.rotatedAt.getTime() + this.options.policy.rotationIntervalSeconds * 1000);
        if (availableAt > now) throw new RotationTooSoonError(availableAt, now);
      }
      const result = await manager.update(
        PersonalAccessToken,
        { id, userId, digest: token.digest, status: 'active' },
        { digest, rotatedAt: now, expiresAt },
      );
      if (result.affected !== 1) throw new RotationConflictError();
      await manager.insert(RetiredTokenDigest, { digest: token.digest, tokenId: id, retiredAt: now });
    });
    this.bookkeeping.forgetUse(id);
    const rotated = await this.get(userId, id);
    await this.publish('token.rotated', userId, rotated, now, { expiresAt });
    return { ...rotated, token: secret };
  }

  /** A revoked or expired token made active again with a new secret and lifetime. */
  async regenerate(actor: TokenActor, id: string, input: RegenerateTokenDto): Promise<CreatedTokenResponseDto> {
    const userId = actor.user.id;
    const now = this.clock.now();
    const secret = generateTokenSecret(this.options.tokenPrefix);
    const expiresAt = resolveExpiry(input, this.options.policy, now);
    const issuer = await this.issuance.issuerFor(actor);
    await this.callers.run(actor, async (manager) => {
      const token = await this.findOwned(manager, userId, id);
      // The kept scopes against the owner's role as it is now, not as it was when they were granted.
      issuer.assertMayReceive({ scopes: await this.scopesOf(manager, id), expiresAt });
      const status = effectiveStatus(token, now);
      if (status === 'active' || status === 'suspended') throw new TokenNotActiveError('regenerated', status);
      await this.assertBelowCap(manager, userId, now);
      const result = await manager.update(
        PersonalAccessToken,
        { id, userId, digest: token.digest },
        // rotatedAt stays: regenerating must not reopen the rotation interval.
        { digest: this.hasher.digest(secret), status: 'active', expiresAt, revokedAt: null },
      );
      if (result.affected !== 1) throw new RotationConflictError();
    });
    const regenerated = await this.get(userId, id);
    await this.publish('token.regenerated', userId, regenerated, now, { expiresAt });
    return { ...regenerated, token: secret };
  }

  async listScopes(userId: string, id: string): Promise<TokenScopesDto> {
    const found = await findTokenWithScopes(this.tokens.manager, 't.id = ? AND t.user_id = ?', [id, userId]);
    if (!found) throw new TokenNotFoundError();
    return { tokenId: id, scopes: found.scopes };
  }

  /** Grants one more scope; `added` is false when the token already had it (nothing changed). */
  async addScope(actor: TokenActor, id: string, scope: string): Promise<{ added: boolean; scopes: TokenScopesDto }> {
    this.grantRules.assertGrantable(actor, [scope], 'scope');
    const added = await this.callers.run(actor, async (manager) => {
      const token = await this.findOwned(manager, actor.user.id, id);
      if (!(await manager.exists(PersonalAccessTokenScope, { where: { tokenId: id, scope } }))) {
        this.allowListPolicy.assertSatisfied([scope], token.allowedIps);
        if ((await manager.count(PersonalAccessTokenScope, { where: { tokenId: id } })) >= MAX_SCOPES_PER_TOKEN) {
          throw new BadRequestError('too_many_scopes', `A token has at most ${MAX_SCOPES_PER_TOKEN} scopes`);
        }
        await manager.insert(PersonalAccessTokenScope, { tokenId: id, scope });
        return true;
      }
      return false;
    });
    if (added) await this.publishScopeChange(actor.user.id, id, { added: scope });
    return { added, scopes: await this.listScopes(actor.user.id, id) };
  }

  async removeScope(actor: TokenActor, id: string, scope: string): Promise<void> {
    const userId = actor.user.id;
    await this.callers.run(actor, async (manager) => {
      await this.findOwned(manager, userId, id);
      // Not a scope (a pasted secret, say): no token holds it, and it goes into no query or log.
      if (!parseScope(scope)) throw new ScopeNotOnTokenError();
      const result = await manager.delete(PersonalAccessTokenScope, { tokenId: id, scope });
      if (!result.affected) throw new ScopeNotOnTokenError();
    });
    await this.publishScopeChange(userId, id, { removed: scope });
  }

  async removeAllScopes(actor: TokenActor, id: string): Promise<void> {
    const userId = actor.user.id;
    await this.callers.run(actor, async (manager) => {
      await this.findOwned(manager, userId, id);
      await manager.delete(PersonalAccessTokenScope, { tokenId: id });
    });
    await this.publishScopeChange(userId, id, { removed: 'all' });
  }

  private async publishScopeChange(userId: string, id: string, details: Record<string, unknown>): Promise<void> {
    const token = await this.tokens.findOne({ where: { id, userId } });
    if (token) await this.publish('token.updated', userId, token, this.clock.now(), details);
  }

  /**
   * Verifies a PAT secret (see `TokenVerificationService.verify`); kept here because hosts verify
   * through the service they already hold.
   *
   * @example
   * const { userId, scopes } = await tokens.verify(secret);
   */
  verify(secret: string, ip?: string, options?: { touch?: boolean }): Promise<VerifiedToken> {
    return this.verification.verify(secret, ip, options);
  }

  private publish(
    type: TokenEventType,
    actorUserId: string,
    token: { id: string; userId: string; name: string },
    occurredAt: Date,
    details?: TokenEvent['details'],
  ): Promise<void> {
    return this.events.publish({
      type,
      occurredAt,
      userId: token.userId,
      tokenId: token.id,
      tokenName: token.name,
      actor: { type: 'user', userId: actorUserId },
      details,
    });
  }

  private async findOwned(manager: EntityManager, userId: string, id: string): Promise<PersonalAccessToken> {
    const token = await manager.findOne(PersonalAccessToken, { where: { id, userId } });
    if (!token) throw new TokenNotFoundError();
    return token;
  }

  private async assertBelowCap(manager: EntityManager, userId: string, now: Date): Promise<void> {
    const live = await whereLive(
      manager.createQueryBuilder(PersonalAccessToken, 't').where('t.userId = :userId', { userId }),
      now,
    ).getCount();
    const limit = this.options.policy.maxActiveTokensPerUser;
    if (live >= limit) throw new TokenLimitReachedError(limit);
  }

  private async withNameCheck<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw isUniqueViolation(error) ? new TokenNameTakenError(name) : error;
    }
  }

  private async scopesOf(manager: EntityManager, id: string): Promise<string[]> {
    return (await manager.find(PersonalAccessTokenScope, { where: { tokenId: id } })).map((row) => row.scope);
  }
}
