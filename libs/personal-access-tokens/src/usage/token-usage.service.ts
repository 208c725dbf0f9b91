import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { UsageQueryService } from '../audit/usage-query.service';
import { Clock } from '../core/clock';
import { DirectoryUser, UserDirectory } from '../core/user-directory';
import { effectiveStatus, PersonalAccessToken } from '../tokens/personal-access-token.entity';
import { TokenNotFoundError } from '../tokens/tokens.errors';
import {
  BusiestTokensDto,
  BusiestTokensQueryDto,
  BusiestWindow,
  DEFAULT_USAGE_DAYS,
  TokenUsageDto,
  TokenUsageQueryDto,
} from './dto/token-usage.dto';

const WINDOW_MS: Record<BusiestWindow, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

/**
 * A token's usage (requests per hour or day by outcome, and the addresses it was used from) for
 * its owner or an administrator, and the busiest tokens of all, for administrators. The counting
 * is the audit trail's (`UsageQueryService`); this joins it to the tokens: whose a token is (a
 * token of someone else's is a 404, as everywhere), its current name and status, its owner.
 */
@Injectable()
export class TokenUsageService {
  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    private readonly usage: UsageQueryService,
    private readonly clock: Clock,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
  ) {}

  /** One of `userId`'s tokens. */
  async ownUsage(userId: string, tokenId: string, query: TokenUsageQueryDto): Promise<TokenUsageDto> {
    const token = await this.tokens.findOne({ where: { id: tokenId, userId }, select: { id: true } });
    if (!token) throw new TokenNotFoundError();
    return this.usageOf(token.id, query);
  }

  /** Anyone's token (administrators). */
  async anyUsage(tokenId: string, query: TokenUsageQueryDto): Promise<TokenUsageDto> {
    const token = await this.tokens.findOne({ where: { id: tokenId }, select: { id: true } });
    if (!token) throw new TokenNotFoundError();
    return this.usageOf(token.id, query);
  }

  async busiest(query: BusiestTokensQueryDto): Promise<BusiestTokensDto> {
    const to = this.clock.now();
    const from = new Date(to.getTime() - WINDOW_MS[query.window]);
    const tallies = await this.usage.busiest(from, to, query.limit);
    const ids = tallies.map((tally) => tally.tokenId);
    const rows = ids.length ? await this.tokens.find({ where: { id: In(ids) } }) : [];
    const tokens = new Map(rows.map((row) => [row.id, row]));
    const owners = await this.usersById([...new Set(tallies.map((t) => tokens.get(t.tokenId)?.userId ?? t.subjectUserId).filter(isId))]);
    return {
      window: query.window,
      from,
      to,
      items: tallies.map((tally) => {
        const token = tokens.get(tally.tokenId);
        const userId = token?.userId ?? tally.subjectUserId;
        return {
          tokenId: tally.tokenId,
          tokenName: token?.name ?? tally.tokenName,
          status: token ? effectiveStatus(token, to) : null,
          userId,
          ownerEmail: (userId && owners.get(userId)?.email) ?? null,
          requests: tally.requests,
          denied: tally.denied,
          errors: tally.errors,
          lastUsedAt: tally.lastSeenAt,
        };
      }),
    };
  }

  private async usageOf(tokenId: string, query: TokenUsageQueryDto): Promise<TokenUsageDto> {
    const days = query.days ?? DEFAULT_USAGE_DAYS[query.granularity];
    const { from, to, buckets, addresses } = await this.usage.tokenUsage(tokenId, query.granularity, days, this.clock.now());
    const totals = { success: 0, denied: 0, error: 0, total: 0 };
    for (const bucket of buckets) {
      totals.success += bucket.success;
      totals.denied += bucket.denied;
      totals.error += bucket.error;
    }
    totals.total = totals.success + totals.denied + totals.error;
    return { tokenId, granularity: query.granularity, from, to, totals, buckets, addresses };
  }

  private async usersById(ids: string[]): Promise<Map<string, DirectoryUser>> {
    if (!ids.length) return new Map();
    const found = this.directory.findByIds
      ? await this.directory.findByIds(ids)
      : (await Promise.all(ids.map((id) => this.directory.findById(id)))).filter((user): user is DirectoryUser => user !== null);
    return new Map(found.map((user) => [user.id, user]));
  }
}

function isId(value: string | null | undefined): value is string {
  return typeof value === 'string';
}
