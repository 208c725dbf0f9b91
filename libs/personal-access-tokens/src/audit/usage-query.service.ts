import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { AuditEvent } from './audit-event.entity';
import { AuditWriter } from './audit-writer';

export type UsageGranularity = 'hour' | 'day';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const STEP_MS: Record<UsageGranularity, number> = { hour: HOUR_MS, day: DAY_MS };
/** How many addresses a token's usage lists, the most recent first. */
export const USAGE_ADDRESSES = 10;

/** Requests in one bucket, by outcome. */
export interface UsageBucket {
  start: Date;
  success: number;
  denied: number;
  error: number;
}

export interface UsageAddress {
  ip: string;
  lastSeenAt: Date;
  requests: number;
  denied: number;
}

export interface TokenUsage {
  from: Date;
  to: Date;
  buckets: UsageBucket[];
  addresses: UsageAddress[];
}

/** One token's requests over a window, from the roll-ups and events that name it. */
export interface TokenTally {
  tokenId: string;
  tokenName: string | null;
  subjectUserId: string | null;
  requests: number;
  denied: number;
  errors: number;
  lastSeenAt: Date;
}

/**
 * Counts a token's requests from the audit trail, in SQL: every entry names the token it was made
 * with (`token_id`) and stands for `event_count` requests (a roll-up of a minute's reads or
 * refusals, or one event), so a bucket's total is `SUM(event_count)` over the entries whose
 * `occurred_at` falls in it (a roll-up never spans two minutes, so never two buckets). Buckets are
 * UTC hours or days, formatted by the database itself (`strftime` on SQLite, `DATE_FORMAT` on
 * MySQL/MariaDB), and every bound is a `Date` parameter (SQLite compares dates as text).
 */
@Injectable()
export class UsageQueryService {
  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    private readonly writer: AuditWriter,
  ) {}

  /**
   * Requests made with `tokenId` in the `days` up to `now`, per hour or per day (UTC), by outcome,
   * every bucket of the window present (zeros included), and the addresses it was used from.
   */
  async tokenUsage(tokenId: string, granularity: UsageGranularity, days: number, now: Date): Promise<TokenUsage> {
    // This instance's buffered reads first, so that the chart includes the caller's latest requests.
    await this.writer.flush();
    const step = STEP_MS[granularity];
    // The window ends with the bucket that holds `now`, and holds `days` days of whole buckets.
    const to = new Date(Math.floor(now.getTime() / step) * step + step);
    const from = new Date(to.getTime() - days * DAY_MS);
    const bucket = this.bucketExpression(granularity);
    const rows: Array<{ bucket: string; outcome: string; requests: string | number }> = await this.window(tokenId, from, to)
      .select(bucket, 'bucket')
      .addSelect('e.outcome', 'outcome')
      .addSelect('SUM(e.event_count)', 'requests')
      .groupBy(bucket)
      .addGroupBy('e.outcome')
      .getRawMany();
    const counts = new Map<number, UsageBucket>();
    for (let at = from.getTime(); at < to.getTime(); at += step) counts.set(at, { start: new Date(at), success: 0, denied: 0, error: 0 });
    for (const row of rows) {
      const entry = counts.get(Date.parse(row.bucket));
      const outcome = row.outcome as keyof Omit<UsageBucket, 'start'>;
      if (entry && outcome in entry) entry[outcome] += Number(row.requests);
    }

    const addresses: Array<{ ip: string; lastSeenAt: string | Date; requests: string | number; denied: string | number }> =
      await this.window(tokenId, from, to)
        .select('e.ip', 'ip')
        .addSelect('MAX(COALESCE(e.last_occurred_at, e.occurred_at))', 'lastSeenAt')
        .addSelect('SUM(e.event_count)', 'requests')
        .addSelect("SUM(CASE WHEN e.outcome = 'denied' THEN e.event_count ELSE 0 END)", 'denied')
        .andWhere('e.ip IS NOT NULL')
        .groupBy('e.ip')
        .orderBy(`${this.quote()}lastSeenAt${this.quote()}`, 'DESC')
        .addOrderBy('e.ip')
        .limit(USAGE_ADDRESSES)
        .getRawMany();
    return {
      from,
      to,
      buckets: [...counts.values()],
      addresses: addresses.map((row) => ({
        ip: row.ip,
        lastSeenAt: toDate(row.lastSeenAt),
        requests: Number(row.requests),
        denied: Number(row.denied),
      })),
    };
  }

  /**
   * The tokens with the most requests made with them in (from, to] (`to` is now: this instant's
   * requests count), most first (ties: the latest used first); the system's actions on a token are no request.
   */
  async busiest(from: Date, to: Date, limit: number): Promise<TokenTally[]> {
    await this.writer.flush();
    const q = this.quote();
    const rows: Array<Record<string, string | number | Date | null>> = await this.events
      .createQueryBuilder('e')
      .select('e.token_id', 'tokenId')
      .addSelect('MAX(e.token_name)', 'tokenName')
      .addSelect('MAX(e.subject_user_id)', 'subjectUserId')
      .addSelect('SUM(e.event_count)', 'requests')
      .addSelect("SUM(CASE WHEN e.outcome = 'denied' THEN e.event_count ELSE 0 END)", 'denied')
      .addSelect("SUM(CASE WHEN e.outcome = 'error' THEN e.event_count ELSE 0 END)", 'errors')
      .addSelect('MAX(COALESCE(e.last_occurred_at, e.occurred_at))', 'lastSeenAt')
      .where('e.occurred_at > :from', { from })
      .andWhere('e.occurred_at <= :to', { to })
      .andWhere('e.token_id IS NOT NULL')
      .andWhere("e.auth_method = 'personal_access_token'")
      .groupBy('e.token_id')
      .orderBy(`${q}requests${q}`, 'DESC')
      .addOrderBy(`${q}lastSeenAt${q}`, 'DESC')
      .limit(limit)
      .getRawMany();
    return rows.map((row) => ({
      tokenId: String(row.tokenId),
      tokenName: row.tokenName === null ? null : String(row.tokenName),
      subjectUserId: row.subjectUserId === null ? null : String(row.subjectUserId),
      requests: Number(row.requests),
      denied: Number(row.denied),
      errors: Number(row.errors),
      lastSeenAt: toDate(row.lastSeenAt as string | Date),
    }));
  }

  private window(tokenId: string, from: Date, to: Date): SelectQueryBuilder<AuditEvent> {
    // (token_id, occurred_at) is indexed: one range of the index per token. Requests only: the
    // system's actions on the token (expired, reuse detected) name it too, with auth_method 'system'.
    return this.events
      .createQueryBuilder('e')
      .where('e.token_id = :tokenId', { tokenId })
      .andWhere('e.occurred_at >= :from', { from })
      .andWhere('e.occurred_at < :to', { to })
      .andWhere("e.auth_method = 'personal_access_token'");
  }

  private sqlite(): boolean {
    return this.events.manager.connection.options.type === 'better-sqlite3';
  }

  private quote(): string {
    return this.sqlite() ? '"' : '`';
  }

  /** The bucket's start as ISO 8601 text, computed where the rows are. */
  private bucketExpression(granularity: UsageGranularity): string {
    if (this.sqlite())
      return granularity === 'hour' ? "strftime('%Y-%m-%dT%H:00:00Z', e.occurred_at)" : "strftime('%Y-%m-%dT00:00:00Z', e.occurred_at)";
    return granularity === 'hour' ? "DATE_FORMAT(e.occurred_at, '%Y-%m-%dT%H:00:00Z')" : "DATE_FORMAT(e.occurred_at, '%Y-%m-%dT00:00:00Z')";
  }
}

/** A datetime as the driver hands it back: a Date (mysql2, `timezone: 'Z'`) or UTC text (SQLite). */
function toDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
}
