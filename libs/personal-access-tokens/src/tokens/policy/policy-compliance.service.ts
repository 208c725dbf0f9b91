import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository, SelectQueryBuilder } from 'typeorm';
import { Clock } from '../../core/clock';
import { ConflictError } from '../../core/domain-error';
import { PageQueryDto } from '../../core/pagination.dto';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { TokenEvents } from '../../core/token-events';
import { UnitOfWork } from '../../core/unit-of-work';
import { UserDirectory } from '../../core/user-directory';
import { TokenResponseDto } from '../dto/token.dto';
import { PersonalAccessTokenScope } from '../personal-access-token-scope.entity';
import { PersonalAccessToken } from '../personal-access-token.entity';
import { scopesByToken, toTokenResponse } from '../token-listing';
import { TokenNotFoundError } from '../tokens.errors';
import { PolicyViolationDto, PolicyViolationPageDto } from './dto/policy-violation.dto';

const DAY = 24 * 3600 * 1000;

export class PolicyAlreadyMetError extends ConflictError {
  constructor() {
    super('policy_already_met', 'The token already meets the policy (or is no longer live): nothing to shorten');
  }
}

/**
 * A tightened policy applied to the tokens that already exist. When the maximum lifetime or the
 * no-expiry rule tightens, live tokens made under the old one may expire later than a token made
 * now may (or never): start-up logs how many, and administrators get a report of them with an
 * action to shorten each to the policy (its expiry becomes the latest a token made now may have;
 * never later than its own) or, through the admin revoke route, to revoke it. Shortening is one
 * conditional update, so it never extends, and of concurrent shortenings one changes the token.
 */
@Injectable()
export class PolicyCompliance implements OnApplicationBootstrap {
  private readonly logger = new Logger(PolicyCompliance.name);

  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    @InjectRepository(PersonalAccessTokenScope) private readonly scopes: Repository<PersonalAccessTokenScope>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const counts = await this.count();
    if (counts.noExpiry + counts.lifetimeTooLong === 0) return;
    this.logger.warn({
      message:
        'Live tokens break the current token policy: see GET /admin/personal-access-token-policy-violations to shorten or revoke them',
      tokensWithoutExpiry: counts.noExpiry,
      tokensExpiringTooLate: counts.lifetimeTooLong,
      maxLifetimeDays: this.options.policy.maxLifetimeDays,
      allowNoExpiry: this.options.policy.allowNoExpiry,
    });
  }

  /** How many live tokens never expire although the policy requires it, and how many expire later than it allows. */
  async count(): Promise<{ noExpiry: number; lifetimeTooLong: number }> {
    const now = this.clock.now();
    const noExpiry = this.options.policy.allowNoExpiry ? 0 : await this.live(now).andWhere('t.expiresAt IS NULL').getCount();
    const lifetimeTooLong = await this.live(now)
      .andWhere('t.expiresAt > :latest', { latest: this.latestExpiry(now) })
      .getCount();
    return { noExpiry, lifetimeTooLong };
  }

  async report(query: PageQueryDto): Promise<PolicyViolationPageDto> {
    const now = this.clock.now();
    const latest = this.latestExpiry(now);
    const [rows, total] = await this.live(now)
      .andWhere(this.beyond('t.expiresAt', latest))
      .orderBy('t.createdAt', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize)
      .getManyAndCount();
    const emails = new Map<string, string | null>();
    for (const userId of new Set(rows.map((row) => row.userId))) {
      emails.set(userId, (await this.directory.findById(userId).catch(() => null))?.email ?? null);
    }
    const items = rows.map((token): PolicyViolationDto => ({
      tokenId: token.id,
      tokenName: token.name,
      userId: token.userId,
      userEmail: emails.get(token.userId) ?? null,
      status: token.status,
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      violation: token.expiresAt === null ? 'no_expiry' : 'lifetime_too_long',
      shortenTo: latest,
    }));
    const { maxLifetimeDays, allowNoExpiry } = this.options.policy;
    return { items, total, page: query.page, pageSize: query.pageSize, policy: { maxLifetimeDays, allowNoExpiry } };
  }

  /** Shortens one violating token's expiry to the latest the policy allows now; 409 if it meets the policy already. */
  async shorten(adminUserId: string, tokenId: string): Promise<TokenResponseDto> {
    const now = this.clock.now();
    const target = this.latestExpiry(now);
    const token = await this.unitOfWork.run(async (manager) => {
      const found = await manager.findOne(PersonalAccessToken, { where: { id: tokenId } });
      if (!found) throw new TokenNotFoundError();
      // Conditional: only a live token still beyond the policy is changed, so an expiry is never extended.
      const result = await manager
        .createQueryBuilder()
        .update(PersonalAccessToken)
        .set({ expiresAt: target })
        .where('id = :tokenId', { tokenId })
        .andWhere("status IN ('active', 'pending')")
        .andWhere(this.beyond('expires_at', target))
        .execute();
      if (result.affected !== 1) throw new PolicyAlreadyMetError();
      return found;
    });
    await this.events.publish({
      type: 'token.expiry_shortened',
      occurredAt: now,
      userId: token.userId,
      tokenId,
      tokenName: token.name,
      actor: { type: 'user', userId: adminUserId },
      details: { previousExpiresAt: token.expiresAt, expiresAt: target, maxLifetimeDays: this.options.policy.maxLifetimeDays },
    });
    const updated = await this.tokens.findOneOrFail({ where: { id: tokenId } });
    return toTokenResponse(updated, (await scopesByToken(this.scopes, [tokenId])).get(tokenId) ?? [], now);
  }

  /** The latest expiry a token made now may have. */
  private latestExpiry(now: Date): Date {
    return new Date(now.getTime() + this.options.policy.maxLifetimeDays * DAY);
  }

  private live(now: Date): SelectQueryBuilder<PersonalAccessToken> {
    return this.tokens
      .createQueryBuilder('t')
      .where("t.status IN ('active', 'pending')")
      .andWhere(new Brackets((b) => b.where('t.expiresAt IS NULL').orWhere('t.expiresAt > :now', { now })));
  }

  /** Expiring later than `latest`, or never where the policy requires an expiry (`column`: the expiry column as the query names it). */
  private beyond(column: string, latest: Date): Brackets {
    return new Brackets((b) => {
      b.where(`${column} > :latest`, { latest });
      if (!this.options.policy.allowNoExpiry) b.orWhere(`${column} IS NULL`);
    });
  }
}
