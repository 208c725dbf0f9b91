import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, Repository } from 'typeorm';
import { Clock } from '../../core/clock';
import { Page } from '../../core/pagination.dto';
import { TokenEvents } from '../../core/token-events';
import { lockedForUpdate, UnitOfWork } from '../../core/unit-of-work';
import { userLock } from '../caller-transactions.service';
import { TokenDetailResponseDto, TokenResponseDto } from '../dto/token.dto';
import { recentAddressesOf } from '../token-usage';
import { PersonalAccessTokenScope } from '../personal-access-token-scope.entity';
import { PersonalAccessToken } from '../personal-access-token.entity';
import { scopesByToken, tokenPage, toTokenResponse, whereEffectiveStatus, whereNameContains } from '../token-listing';
import { TokenNotFoundError } from '../tokens.errors';
import { UserDirectory, UserNotFoundError } from '../../core/user-directory';
import { CompanionCredentials } from '../companion-credentials';
import { AdminListTokensQueryDto, UserCredentialsRevokedDto } from './dto/admin-tokens.dto';

/**
 * Governance of everyone's tokens, for holders of `MANAGE_ALL_ACCESS_TOKENS`: find tokens across
 * the organisation, revoke one, or cut a user off (all tokens and sessions) without deleting them.
 */
@Injectable()
export class AdminTokensService {
  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    @InjectRepository(PersonalAccessTokenScope) private readonly scopes: Repository<PersonalAccessTokenScope>,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
    private readonly companions: CompanionCredentials,
  ) {}

  async list(query: AdminListTokensQueryDto): Promise<Page<TokenResponseDto>> {
    const now = this.clock.now();
    const builder = this.tokens.createQueryBuilder('t');
    if (query.userId) builder.andWhere('t.userId = :userId', { userId: query.userId });
    whereEffectiveStatus(builder, query.status, now);
    whereNameContains(builder, query.search);
    if (query.createdBefore) builder.andWhere('t.createdAt < :createdBefore', { createdBefore: query.createdBefore });
    if (query.createdAfter) builder.andWhere('t.createdAt > :createdAfter', { createdAfter: query.createdAfter });
    if (query.lastUsedBefore) builder.andWhere('t.lastUsedAt < :lastUsedBefore', { lastUsedBefore: query.lastUsedBefore });
    if (query.lastUsedAfter) builder.andWhere('t.lastUsedAt > :lastUsedAfter', { lastUsedAfter: query.lastUsedAfter });
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    return tokenPage(builder.orderBy(`t.${query.sort}`, direction).addOrderBy('t.id', direction), this.scopes, query, now);
  }

  /** Revokes any user's token; revoking a revoked token changes nothing. */
  async revoke(adminUserId: string, id: string): Promise<TokenResponseDto> {
    const now = this.clock.now();
    const { token, changed } = await this.unitOfWork.run(async (manager) => {
      const found = await manager.findOne(PersonalAccessToken, { where: { id } });
      if (!found) throw new TokenNotFoundError();
      const result = await manager.update(PersonalAccessToken, { id, status: Not('revoked') }, { status: 'revoked', revokedAt: now });
      return { token: found, changed: result.affected === 1 };
    });
    if (changed) await this.publishRevoked(adminUserId, token, now);
    return this.get(id);
  }

  /**
   * Revokes every token of the user and ends their login sessions, in one transaction; the
   * account itself stays (deactivate it separately if wanted).
   */
  async revokeAllForUser(adminUserId: string, userId: string): Promise<UserCredentialsRevokedDto> {
    if (!(await this.directory.findById(userId))) throw new UserNotFoundError();
    const now = this.clock.now();
    // The lock every change to the user's tokens takes (`CallerTransactions`): a request in flight
    // with one of these credentials either committed before this, or is refused after it.
    const { revoked, endedSessions } = await this.unitOfWork.run(
      async (manager) => {
        // Locked, so that the tokens counted and announced are exactly those this call revoked
        // (an owner's own revoke does not take the user's lock).
        const live = await lockedForUpdate(
          manager.createQueryBuilder(PersonalAccessToken, 't').where("t.userId = :userId AND t.status <> 'revoked'", { userId }),
        ).getMany();
        if (live.length) {
          await manager.update(
            PersonalAccessToken,
            { id: In(live.map((t) => t.id)), status: Not('revoked') },
            { status: 'revoked', revokedAt: now },
          );
        }
        return { revoked: live, endedSessions: await this.companions.endAllOf(manager, userId, now) };
      },
      { lock: userLock(userId) },
    );
    for (const token of revoked) await this.publishRevoked(adminUserId, token, now);
    return { userId, revokedTokens: revoked.length, endedSessions };
  }

  /** Any user's token, by id, with where it was used. */
  async detail(id: string): Promise<TokenDetailResponseDto> {
    const token = await this.get(id);
    return { ...token, recentAddresses: await recentAddressesOf(this.tokens.manager, id) };
  }

  /** Any user's token, by id. */
  async get(id: string): Promise<TokenResponseDto> {
    const token = await this.tokens.findOne({ where: { id } });
    if (!token) throw new TokenNotFoundError();
    return toTokenResponse(token, (await scopesByToken(this.scopes, [id])).get(id) ?? [], this.clock.now());
  }

  private publishRevoked(adminUserId: string, token: PersonalAccessToken, occurredAt: Date): Promise<void> {
    return this.events.publish({
      type: 'token.revoked',
      occurredAt,
      userId: token.userId,
      tokenId: token.id,
      tokenName: token.name,
      actor: { type: 'user', userId: adminUserId },
      details: { by: 'admin' },
    });
  }
}
