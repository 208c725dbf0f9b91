import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, InjectionToken, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { CronJob } from 'cron';
import { Brackets, DataSource, EntityManager, In, SelectQueryBuilder } from 'typeorm';
import { Clock } from '../../core/clock';
import { tableOf } from '../../core/raw-entity';
import { TokenEvent, TokenEvents, TokenEventSource, TokenEventType } from '../../core/token-events';
import { UnitOfWork } from '../../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { CompanionCredentials } from '../companion-credentials';
import { PersonalAccessToken } from '../personal-access-token.entity';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import { JobLock, JobLocks } from './job-lock';
import { TokenApprovals } from '../approvals/token-approvals.service';

const DAY = 24 * 3600 * 1000;
/** What the job needs of `@nestjs/schedule`'s `SchedulerRegistry`: an optional peer, so typed here. */
interface CronRegistry {
  addCronJob(name: string, job: CronJob): void;
}

/**
 * `@nestjs/schedule`'s registry class, the DI key of its registry, where the host has the package
 * (the job is then listed with the host's own); the job runs on its own timer either way.
 */
const SCHEDULER_REGISTRY: InjectionToken = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@nestjs/schedule') as { SchedulerRegistry: InjectionToken }).SchedulerRegistry;
  } catch {
    return Symbol('NoSchedulerRegistry');
  }
})();

export const EXPIRY_JOB_NAME = 'personal-access-tokens-expiry';

/** What one run of the expiry job did. */
export interface ExpiryRunResult {
  /** False when another run held the job's lease: that run does the work. */
  ran: boolean;
  expired: number;
  /** Notices sent per lead (`30d`, `7d`, `1d`, `day` for on the day). */
  notices: Record<string, number>;
  revokedUnused: number;
  /** Approval requests undecided in time (their tokens revoked). */
  approvalsExpired: number;
  sessionsPurged: number;
  /** Why the run stopped early (lease lost, shutdown); the next run finishes the work. */
  interrupted?: string;
}

/** Stops a run between two batches; everything committed so far stays done. */
class RunInterrupted extends Error {}

type Tally = (count: number) => void;
type TokenRow = Pick<PersonalAccessToken, 'id' | 'userId' | 'name' | 'expiresAt'>;
type Changed = Array<{ row: TokenRow; details: Record<string, unknown> }>;

/**
 * Tokens per transaction unless configured. SQLite holds the event loop for a whole transaction
 * (better-sqlite3 is synchronous), so its batches stay short: a batch's commit writes a page of
 * each index per owner it touches (and, past 1000 pages, checkpoints the WAL), about 80 µs per
 * token at a million tokens, so 250 hold the loop for some 20 ms. On MySQL each batch costs round
 * trips and a commit, and larger ones go faster. 3000 tokens with their audit events and webhook
 * deliveries is a write set of at most 9000 rows, which a Galera cluster certifies comfortably.
 */
export const DEFAULT_EXPIRY_BATCH_SIZE = { sqlite: 250, mysql: 3000 } as const;
/** Ids per `IN (...)` list: MariaDB turns longer lists into a subquery over a temporary table. */
const IDS_PER_STATEMENT = 1000;
/**
 * On SQLite, the rest after each batch, as a multiple of the time the batch took: requests keep
 * two thirds of the event loop while a large sweep goes on.
 */
const SQLITE_REST_RATIO = 2;

/** One configured lead time of expiry notices. */
interface Notice {
  /** `30d`, `7d`, `1d`; `day` for on the day. */
  threshold: string;
  leadDays: number;
  /** Tokens expiring at or before this get the notice. */
  horizon(now: Date): Date;
}

/** The configured leads, shortest first: a token already inside a short lead gets that notice only (the longer ones count as sent). */
function noticesOf(leadDays: readonly number[]): Notice[] {
  return [...leadDays]
    .sort((a, b) => a - b)
    .map((lead) =>
      lead === 0
        ? { threshold: 'day', leadDays: 0, horizon: (now: Date) => new Date(Math.floor(now.getTime() / DAY) * DAY + DAY) }
        : { threshold: `${lead}d`, leadDays: lead, horizon: (now: Date) => new Date(now.getTime() + lead * DAY) },
    );
}

function describeLead(notice: Notice): string {
  if (notice.leadDays === 0) return 'today';
  return notice.leadDays === 1 ? 'within a day' : `within ${notice.leadDays} days`;
}

/**
 * The scheduled bookkeeping of tokens: marks tokens past their expiry as `expired`, sends the
 * 7-day and 1-day expiry notices, applies the optional "revoke unused tokens" policy, and deletes
 * dead login sessions. Verification never waits for it: an expired token is refused anyway.
 *
 * Work goes in bounded batches (one transaction each) walking the `(status, expires_at)` index,
 * and every state lives in the rows, so a run that stops half-way is simply finished by the
 * next one. Each batch is set-based: one statement marks its tokens, and the audit trail and the
 * webhook outbox write their rows for the whole batch as multi-row inserts inside the same
 * transaction (`TokenEvents.record`), so a token never changes without its events, nor gets
 * them twice. One run at a time, across instances, holds the job's lease row (renewed before every
 * batch); each batch also locks the rows it changes and changes only rows still in the state it
 * read, so even two runs at once (a lease that ran out) change each token once.
 *
 * @example
 * const result = await app.get(ExpiryJob).run(); // on demand, e.g. in a test or a CLI
 */
@Injectable()
export class ExpiryJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ExpiryJob.name);
  private readonly locks: JobLocks;
  private readonly mysql: boolean;
  private readonly batchSize: number;
  private readonly notices: Notice[];
  private readonly shutdown = new AbortController();
  private cronJob?: CronJob;
  private scheduledRun?: Promise<unknown>;

  constructor(
    dataSource: DataSource,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
    private readonly webhooks: WebhookDispatcher,
    private readonly companions: CompanionCredentials,
    private readonly approvals: TokenApprovals,
    @Optional() @Inject(SCHEDULER_REGISTRY) private readonly schedulerRegistry?: CronRegistry,
  ) {
    this.locks = new JobLocks(unitOfWork, clock);
    this.mysql = dataSource.options.type !== 'better-sqlite3';
    this.batchSize = options.expiry.batchSize ?? DEFAULT_EXPIRY_BATCH_SIZE[this.mysql ? 'mysql' : 'sqlite'];
    this.notices = noticesOf(options.expiry.noticeLeadDays);
  }

  onApplicationBootstrap(): void {
    const { cron } = this.options.expiry;
    if (cron === false) return;
    this.cronJob = CronJob.from({ cronTime: cron, onTick: () => this.tick(), start: true, timeZone: 'UTC' });
    this.schedulerRegistry?.addCronJob(EXPIRY_JOB_NAME, this.cronJob as unknown as CronJob);
  }

  async onModuleDestroy(): Promise<void> {
    await this.cronJob?.stop();
    this.shutdown.abort();
    await this.scheduledRun;
  }

  /**
   * One complete run, now. Answers `ran: false` at once if another run holds the lease; stops
   * between batches when `signal` aborts or the lease is lost.
   */
  async run(options: { signal?: AbortSignal } = {}): Promise<ExpiryRunResult> {
    const notices = Object.fromEntries(this.notices.map((notice) => [notice.threshold, 0]));
    const result: ExpiryRunResult = { ran: false, expired: 0, notices, revokedUnused: 0, approvalsExpired: 0, sessionsPurged: 0 };
    const lock = await this.locks.tryAcquire('pat:expiry-job');
    if (!lock) return result;
    result.ran = true;
    const checkpoint = () => this.checkpoint(lock, options.signal);
    try {
      // Counts are added batch by batch, so an interrupted run still reports what it did.
      await this.expireDue(checkpoint, (n) => (result.expired += n));
      for (const notice of this.notices) await this.sendNotices(notice, checkpoint, (n) => (result.notices[notice.threshold] += n));
      await this.revokeUnused(checkpoint, (n) => (result.revokedUnused += n));
      await checkpoint();
      result.approvalsExpired += await this.approvals.expireDue();
      await this.purgeSessions(checkpoint, (n) => (result.sessionsPurged += n));
      await this.webhooks.purgeFinished(new Date(this.clock.now().getTime() - 7 * DAY));
    } catch (error) {
      if (!(error instanceof RunInterrupted)) throw error;
      result.interrupted = error.message;
      this.logger.warn({ message: 'Expiry job interrupted; the next run finishes it', reason: error.message });
    } finally {
      await lock.release();
    }
    if (
      result.expired ||
      result.revokedUnused ||
      result.approvalsExpired ||
      result.sessionsPurged ||
      Object.values(result.notices).some(Boolean)
    ) {
      this.logger.log({ message: 'Expiry job ran', ...result });
    }
    return result;
  }

  private tick(): void {
    if (this.scheduledRun) return;
    this.scheduledRun = this.run({ signal: this.shutdown.signal })
      .catch((error: unknown) => this.logger.error({ message: 'Expiry job failed', error: String(error) }))
      .finally(() => (this.scheduledRun = undefined));
  }

  private async checkpoint(lock: JobLock, signal?: AbortSignal): Promise<void> {
    // Between batches, let requests run: better-sqlite3 is synchronous, and a run chained only
    // through promises would hold the event loop until it ends.
    await setImmediate();
    if (signal?.aborted) throw new RunInterrupted('stopped on request');
    if (!(await lock.stillHeld())) throw new RunInterrupted('lost the job lease (another run took it, or the database is unreachable)');
  }

  /** Active tokens past expiresAt become expired, oldest expiry first. */
  private async expireDue(checkpoint: () => Promise<void>, tally: Tally): Promise<void> {
    const now = this.clock.now();
    await this.inBatches(
      checkpoint,
      tally,
      'token.expired',
      async (manager, limit) => {
        const rows = await this.markExpired(manager, now, limit);
        return rows.map((row) => ({ row, details: { expiresAt: row.expiresAt } }));
      },
      undefined,
      (manager, changed) => this.expiredSources(manager, changed),
    );
  }

  /**
   * The expired batch as SQL over the token rows (`TokenEventSource`), so that the audit trail
   * writes its events with `INSERT ... SELECT`. The details are the JSON of `{ expiresAt }`, as
   * `JSON.stringify` writes a date.
   */
  private expiredSources(manager: EntityManager, changed: Changed): TokenEventSource[] {
    const table = tableOf(manager, PersonalAccessToken);
    const expiresAt = this.mysql
      ? `CONCAT(DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(expires_at) / 1000), 3, '0'), 'Z')`
      : `strftime('%Y-%m-%dT%H:%M:%fZ', expires_at)`;
    const details = this.mysql ? `CONCAT('{"expiresAt":"', ${expiresAt}, '"}')` : `'{"expiresAt":"' || ${expiresAt} || '"}'`;
    const sources: TokenEventSource[] = [];
    for (let i = 0; i < changed.length; i += IDS_PER_STATEMENT) {
      const ids = changed.slice(i, i + IDS_PER_STATEMENT).map(({ row }) => row.id);
      sources.push({
        sql: `SELECT id AS token_id, user_id, name AS token_name, ${details} AS details FROM ${table} WHERE id IN (${ids.map(() => '?').join(', ')})`,
        parameters: ids,
        rows: ids.length,
      });
    }
    return sources;
  }

  /**
   * Marks up to `limit` due tokens expired and answers them. SQLite: one `UPDATE ... RETURNING`.
   * MySQL (no `UPDATE ... RETURNING`): the due rows read with row locks in index order, then one
   * UPDATE per thousand ids, which still requires `active` (the locks make it so: a concurrent run
   * waits for this one's commit, then reads these rows as expired).
   */
  private async markExpired(manager: EntityManager, now: Date, limit: number): Promise<TokenRow[]> {
    const { driver } = manager.connection;
    const metadata = manager.connection.getMetadata(PersonalAccessToken);
    const expiresAt = metadata.findColumnWithPropertyName('expiresAt')!;
    const table = tableOf(manager, PersonalAccessToken);
    const due = `status = 'active' AND expires_at <= ?`;
    const parameters = [driver.preparePersistentValue(now, expiresAt), limit];
    const toRow = (r: Record<string, unknown>): TokenRow => ({
      id: String(r.id),
      userId: String(r.user_id),
      name: String(r.name),
      expiresAt: r.expires_at === null ? null : (driver.prepareHydratedValue(r.expires_at, expiresAt) as Date),
    });
    if (!this.mysql) {
      const rows: Array<Record<string, unknown>> = await manager.query(
        `UPDATE ${table} SET status = 'expired' WHERE id IN (SELECT id FROM ${table} WHERE ${due} ORDER BY expires_at LIMIT ?) ` +
          `RETURNING id, user_id, name, expires_at`,
        parameters,
      );
      return rows.map(toRow);
    }
    // The index is named: with nearly every row due, the optimizer may otherwise prefer a full scan, locking every row it reads.
    const rows: Array<Record<string, unknown>> = await manager.query(
      `SELECT id, user_id, name, expires_at FROM ${table} FORCE INDEX (IDX_pat_status_expires) WHERE ${due} ORDER BY expires_at LIMIT ? FOR UPDATE`,
      parameters,
    );
    for (let i = 0; i < rows.length; i += IDS_PER_STATEMENT) {
      const ids = rows.slice(i, i + IDS_PER_STATEMENT).map((r) => r.id);
      await manager.query(
        `UPDATE ${table} SET status = 'expired' WHERE status = 'active' AND id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
    }
    return rows.map(toRow);
  }

  /**
   * One notice per token, per lead, per expiry date (a rotation's new expiry earns new notices):
   * a token is due unless a notice at this lead or a shorter one was sent for its current expiry.
   */
  private async sendNotices(notice: Notice, checkpoint: () => Promise<void>, tally: Tally): Promise<void> {
    const now = this.clock.now();
    const horizon = notice.horizon(now);
    let after: TokenRow | undefined;
    const advance = (changed: Changed) => (after = changed[changed.length - 1]?.row ?? after);
    await this.inBatches(
      checkpoint,
      tally,
      'token.expiring',
      async (manager, limit) => {
        const builder = this.tokenRows(manager)
          .where("t.status = 'active'")
          .andWhere('t.expiresAt > :now', { now })
          .andWhere('t.expiresAt <= :horizon', { horizon })
          .andWhere(
            new Brackets((b) =>
              b
                .where('t.expiryNoticeFor IS NULL')
                .orWhere('t.expiryNoticeFor <> t.expiresAt')
                .orWhere('t.expiryNoticeLeadDays > :lead', { lead: notice.leadDays }),
            ),
          );
        // Keyset pagination in index order: noticed rows are not scanned again by later batches.
        if (after) {
          const cursor = after;
          builder.andWhere(
            new Brackets((b) =>
              b
                .where('t.expiresAt > :afterExpiry', { afterExpiry: cursor.expiresAt })
                .orWhere(new Brackets((c) => c.where('t.expiresAt = :afterExpiry').andWhere('t.id > :afterId', { afterId: cursor.id }))),
            ),
          );
        }
        const rows = await this.forUpdate(builder.orderBy('t.expiresAt', 'ASC').addOrderBy('t.id', 'ASC')).limit(limit).getMany();
        if (rows.length) {
          await manager
            .createQueryBuilder()
            .update(PersonalAccessToken)
            .set({ expiryNoticeFor: () => 'expires_at', expiryNoticeLeadDays: notice.leadDays })
            .where({ id: In(rows.map((r) => r.id)) })
            .andWhere("status = 'active'")
            .execute();
        }
        return rows.map((row) => ({
          row,
          details: {
            threshold: notice.threshold,
            leadDays: notice.leadDays,
            expiresAt: row.expiresAt,
            tokenName: row.name,
            message: `Your personal access token "${row.name}" expires ${describeLead(notice)}, at ${row.expiresAt?.toISOString()}.`,
          },
        }));
      },
      advance,
    );
  }

  /** The optional policy: revoke active tokens not used for N days (never used: since creation). */
  private async revokeUnused(checkpoint: () => Promise<void>, tally: Tally): Promise<void> {
    const days = this.options.expiry.revokeUnusedAfterDays;
    if (!days) return;
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - days * DAY);
    let afterId = '';
    const advance = (changed: Changed) => (afterId = changed[changed.length - 1]?.row.id ?? afterId);
    await this.inBatches(
      checkpoint,
      tally,
      'token.revoked',
      async (manager, limit) => {
        const rows = await this.forUpdate(
          this.tokenRows(manager)
            .where("t.status = 'active'")
            .andWhere('t.id > :afterId', { afterId })
            .andWhere(
              new Brackets((b) =>
                b
                  .where('t.lastUsedAt < :cutoff', { cutoff })
                  .orWhere(new Brackets((c) => c.where('t.lastUsedAt IS NULL').andWhere('t.createdAt < :cutoff', { cutoff }))),
              ),
            )
            .orderBy('t.id', 'ASC'),
        )
          .limit(limit)
          .getMany();
        if (rows.length) {
          await manager
            .createQueryBuilder()
            .update(PersonalAccessToken)
            .set({ status: 'revoked', revokedAt: now })
            .where({ id: In(rows.map((r) => r.id)) })
            .andWhere("status = 'active'")
            .execute();
        }
        return rows.map((row) => ({ row, details: { reason: 'unused', unusedForDays: days } }));
      },
      advance,
    );
  }

  /** Login sessions (and any other companion credential) that can never be used again. */
  private async purgeSessions(checkpoint: () => Promise<void>, tally: Tally): Promise<void> {
    const now = this.clock.now();
    for (const store of this.companions.all()) {
      for (;;) {
        await checkpoint();
        const deleted = await this.unitOfWork.run((manager) => store.purgeDead(manager, now, this.batchSize));
        tally(deleted);
        if (deleted < this.batchSize) break;
      }
    }
  }

  /**
   * Runs `batch` until it returns fewer rows than the batch size, each in its own transaction
   * (the unit of work retries it on a deadlock or a certification failure). The batch's events
   * (one per changed token) are recorded inside that transaction (from `sourcesOf`'s SQL when
   * given), and published after its commit; `advance` (a keyset cursor) learns what a committed
   * batch changed.
   */
  private async inBatches(
    checkpoint: () => Promise<void>,
    tally: Tally,
    type: TokenEventType,
    batch: (manager: EntityManager, limit: number) => Promise<Changed>,
    advance?: (changed: Changed) => void,
    sourcesOf?: (manager: EntityManager, changed: Changed) => TokenEventSource[],
  ): Promise<void> {
    const limit = this.batchSize;
    for (;;) {
      await checkpoint();
      const started = performance.now();
      const { changed, events } = await this.unitOfWork.run(async (manager) => {
        const changed = await batch(manager, limit);
        const occurredAt = this.clock.now();
        const events = changed.map(({ row, details }): TokenEvent => ({
          type,
          occurredAt,
          userId: row.userId,
          tokenId: row.id,
          tokenName: row.name,
          actor: { type: 'system' },
          details,
        }));
        await this.events.record(manager, events, sourcesOf?.(manager, changed));
        return { changed, events };
      });
      advance?.(changed);
      await this.events.publishAll(events, { recorded: true });
      tally(changed.length);
      if (changed.length < limit) return;
      // better-sqlite3 blocks the event loop while a batch runs: rest longer than it took, so that
      // requests keep most of the process while a large sweep goes on.
      if (!this.mysql) await sleep(SQLITE_REST_RATIO * (performance.now() - started));
    }
  }

  private tokenRows(manager: EntityManager): SelectQueryBuilder<PersonalAccessToken> {
    return manager.createQueryBuilder(PersonalAccessToken, 't').select(['t.id', 't.userId', 't.name', 't.expiresAt']);
  }

  /** Row locks on MySQL so that what a batch read is exactly what it changes; SQLite writes are serialized anyway. */
  private forUpdate<T extends SelectQueryBuilder<PersonalAccessToken>>(builder: T): T {
    return this.mysql ? (builder.setLock('pessimistic_write') as T) : builder;
  }
}
