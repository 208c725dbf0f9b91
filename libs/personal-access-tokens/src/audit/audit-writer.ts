import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { isUniqueViolation } from '../core/database-errors';
import { insertRows, tableOf } from '../core/raw-entity';
import type { TokenEventSource } from '../core/token-events';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { AuditEvent } from './audit-event.entity';

/** Rows per INSERT: well under SQLite's bound-parameter limit with 21 columns. */
const ROWS_PER_INSERT = 100;
/**
 * Rows per transaction (several INSERTs): each commit is a sync of the log to disk, which on
 * SQLite also holds the event loop, so one per thousand rows rather than one per hundred.
 */
const ROWS_PER_TRANSACTION = 1000;
/** Requests waiting for room at most; past that they are answered 503 at once. */
const MAX_ROOM_WAITERS = 1000;
const MINUTE_MS = 60_000;

/**
 * A roll-up being counted: `read`s, or `refusal`s of one kind past the first of their minute
 * (which is written as an event of its own, see `count`). A refusal's entry stays, with nothing
 * left to write, until its minute is over: it remembers that the first was written.
 */
interface Tally {
  readonly kind: 'read' | 'refusal';
  readonly minute: number;
  /** The first counted event not yet written: who, what, where (its own id and times are not used). */
  row?: AuditEvent;
  count: number;
  first: number;
  last: number;
}

/** What `count` did with an event. */
export type Counted = 'counted' | 'first';

/**
 * Writes audit events. Changes' events are written at once (or inside the change's own
 * transaction, see `AuditTrail`). The rest is buffered in memory and written as multi-row
 * statements: single events (refusals and failures, reads in `each` mode) and roll-ups (counted
 * reads, repeated refusals: one entry per key and minute, upserted as one row per key and minute,
 * however many flushes and instances contribute to it).
 *
 * Bounds: `maxBufferedEvents` single events (buffered plus being written) and `maxCountedKeys`
 * read roll-ups. The buffer drains as fast as the database allows: every `flushIntervalMs`, and
 * at once again while a full batch is waiting. When it is full, `waitForRoom` holds new requests
 * (the route guard answers 503 with Retry-After past `backpressureTimeoutMs`). What arrives anyway
 * (requests already admitted, failures before routing) is never dropped: past twice the bound it
 * is counted into a coarser roll-up (without user, token and address), of which there are at most
 * as many as actions, statuses and codes. A failed write keeps its rows for the next flush.
 * On shutdown everything is flushed, and from then on every event is written at once.
 */
@Injectable()
export class AuditWriter implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  private buffer: AuditEvent[] = [];
  /** Single events taken from the buffer whose insert has not finished. */
  private writing = 0;
  private readonly reads = new Map<string, Tally>();
  private readonly refusals = new Map<string, Tally>();
  /** Roll-ups with something to write. */
  private dirty = 0;
  /** The latest minute seen (by the clock the events carry): refusals' entries of earlier ones are done. */
  private minute = 0;
  private running = false;
  private passes = 0;
  private readonly flushWaiters: Array<{ pass: number; resolve(): void; reject(error: unknown): void }> = [];
  private readonly roomWaiters = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.kick(), this.options.audit.flushIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.flush();
  }

  /** Requests finishing while the server drains were written at once; this catches any stragglers. */
  async onApplicationShutdown(): Promise<void> {
    if (this.backlog()) await this.flush().catch(() => undefined);
  }

  /** What is held in memory now: single events, read roll-up keys, refusal roll-up keys. */
  held(): { events: number; readKeys: number; refusalKeys: number } {
    return { events: this.buffer.length + this.writing, readKeys: this.reads.size, refusalKeys: this.refusals.size };
  }

  /** Whether a new request's event fits within the bounds. */
  hasRoom(): boolean {
    const { maxBufferedEvents, maxCountedKeys } = this.options.audit;
    return this.buffer.length + this.writing < maxBufferedEvents && this.reads.size < maxCountedKeys;
  }

  /** Resolves true once there is room, false after `backpressureTimeoutMs` (or at once when too many wait). */
  waitForRoom(): Promise<boolean> {
    if (this.hasRoom()) return Promise.resolve(true);
    if (this.roomWaiters.size >= MAX_ROOM_WAITERS) return Promise.resolve(false);
    this.kick();
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.roomWaiters.delete(waiter);
        resolve(ok);
      };
      const waiter = () => done(true);
      const timer = setTimeout(() => done(false), this.options.audit.backpressureTimeoutMs);
      this.roomWaiters.add(waiter);
    });
  }

  /**
   * Writes now, in a transaction of its own. Safe to retry: when a connection is lost after the
   * server committed a batch, the retry meets its rows again (ids are unique per event), so a
   * duplicate is the same event already written; the rest of the batch is then written one by one.
   */
  async write(...events: AuditEvent[]): Promise<void> {
    try {
      await this.unitOfWork.run((manager) => this.insert(manager, events), { bookkeeping: true });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      for (const event of events) {
        await this.unitOfWork
          .run((manager) => this.insert(manager, [event]), { bookkeeping: true })
          .catch((e: unknown) => {
            if (!isUniqueViolation(e)) throw e;
          });
      }
    }
  }

  /**
   * Writes inside the caller's transaction, as plain multi-row INSERTs. A request's buffer goes in
   * statements of `ROWS_PER_INSERT` (the same few statement texts, which SQLite keeps prepared);
   * `large` batches (a job's events) in as few statements as the parameter limit allows.
   */
  async insert(manager: EntityManager, events: AuditEvent[], options: { large?: boolean } = {}): Promise<void> {
    await insertRows(manager, AuditEvent, events, { rowsPerStatement: options.large ? undefined : ROWS_PER_INSERT });
  }

  /**
   * Writes one system event per row of each source (see `TokenEventSource`) inside the caller's
   * transaction, as `INSERT ... SELECT`. Ids keep the time-ordered layout: the batch's milliseconds
   * and random bits, then a 48-bit counter over the batch in place of the last random ones.
   */
  async insertSelected(
    manager: EntityManager,
    sources: TokenEventSource[],
    event: { occurredAt: Date; action: string; targetType: string },
  ): Promise<void> {
    const { driver } = manager.connection;
    const occurredAt = manager.connection.getMetadata(AuditEvent).findColumnWithPropertyName('occurredAt')!;
    const prefix = timeOrderedId(event.occurredAt.getTime()).slice(0, 24);
    const counter =
      manager.connection.options.type === 'better-sqlite3'
        ? `? || substr('000000000000' || printf('%x', ? + row_number() OVER ()), -12)`
        : `CONCAT(?, LPAD(LOWER(HEX(? + ROW_NUMBER() OVER ())), 12, '0'))`;
    let offset = 0;
    for (const source of sources) {
      await manager.query(
        `INSERT INTO ${tableOf(manager, AuditEvent)} (id, occurred_at, subject_user_id, token_id, token_name, auth_method, action, ` +
          `target_type, target_id, outcome, details) SELECT ${counter}, ?, s.user_id, s.token_id, s.token_name, 'system', ?, ?, ` +
          `s.token_id, 'success', s.details FROM (${source.sql}) s`,
        [prefix, offset, driver.preparePersistentValue(event.occurredAt, occurredAt), event.action, event.targetType, ...source.parameters],
      );
      offset += source.rows;
    }
  }

  async update(id: string, changes: Partial<AuditEvent>): Promise<void> {
    await this.unitOfWork.run((manager) => manager.update(AuditEvent, { id }, changes), { bookkeeping: true });
  }

  /**
   * Buffers a single event. It never waits (the route guard held the request until there was
   * room): past twice the bound, the event is counted into a coarse roll-up instead.
   */
  async enqueue(event: AuditEvent): Promise<void> {
    if (this.closing) return this.write(event);
    if (this.buffer.length + this.writing >= 2 * this.options.audit.maxBufferedEvents) {
      this.count(event, event.outcome === 'success' ? 'read' : 'refusal', { coarse: true });
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length >= ROWS_PER_TRANSACTION) this.kick();
  }

  /**
   * Counts an event into its roll-up: one per kind, user, token, action, target, outcome, status,
   * address, details (a refusal's code) and minute. The first refusal of a kind in a minute is not
   * counted (`'first'`): the caller writes it as an event of its own, with its request id.
   */
  count(event: AuditEvent, kind: 'read' | 'refusal', options: { coarse?: boolean } = {}): Counted {
    const minute = Math.floor(event.occurredAt.getTime() / MINUTE_MS);
    if (minute > this.minute) this.minute = minute;
    const tallies = kind === 'read' ? this.reads : this.refusals;
    let row = options.coarse ? coarsened(event) : event;
    let key = keyOf(row, minute);
    let tally = tallies.get(key);
    if (!tally && !options.coarse && tallies.size >= (kind === 'read' ? 2 : 1) * this.options.audit.maxCountedKeys) {
      row = coarsened(event);
      key = keyOf(row, minute);
      tally = tallies.get(key);
    }
    if (!tally) {
      if (kind === 'refusal' && !options.coarse && row === event) {
        tallies.set(key, { kind, minute, count: 0, first: 0, last: 0 });
        return 'first';
      }
      tally = { kind, minute, count: 0, first: 0, last: 0 };
      tallies.set(key, tally);
    }
    const at = event.occurredAt.getTime();
    if (tally.count === 0) {
      tally.row = row;
      tally.first = at;
      tally.last = at;
      if (++this.dirty >= ROWS_PER_TRANSACTION) this.kick();
    } else if (at > tally.last) tally.last = at;
    tally.count++;
    return 'counted';
  }

  /** Writes everything buffered so far; resolves after the first pass that started after this call. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.flushWaiters.push({ pass: this.passes + 1, resolve, reject });
      this.kick();
    });
  }

  private backlog(): number {
    return this.buffer.length + this.dirty;
  }

  /** Starts the drain loop unless it runs. */
  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  /**
   * Passes over the buffer until less than a batch is waiting and nobody waits for a flush: as
   * fast as the database takes it, not at a fixed pace. A failed pass ends the loop (the next
   * tick tries again), so a database that is down is not hammered.
   */
  private async run(): Promise<void> {
    for (;;) {
      const pass = ++this.passes;
      let failure: unknown;
      try {
        await this.pass();
      } catch (error) {
        failure = error;
        const held = this.held();
        this.logger.error({ message: 'Could not write buffered audit events; kept for the next flush', ...held, error: messageOf(error) });
      }
      for (const waiter of this.flushWaiters.filter((w) => w.pass <= pass)) {
        this.flushWaiters.splice(this.flushWaiters.indexOf(waiter), 1);
        if (failure) waiter.reject(failure);
        else waiter.resolve();
      }
      if (this.hasRoom()) for (const waiter of [...this.roomWaiters]) waiter();
      // Ended before the flushed callers go on, so that their next flush starts a pass of its own.
      if (failure || (this.backlog() < ROWS_PER_TRANSACTION && !this.flushWaiters.length)) {
        this.running = false;
        return;
      }
    }
  }

  /** One pass: every single event and roll-up there is now, in transactions of `ROWS_PER_TRANSACTION`. */
  private async pass(): Promise<void> {
    for (const [key, tally] of this.refusals) if (tally.count === 0 && tally.minute < this.minute) this.refusals.delete(key);
    const singles = this.buffer;
    this.buffer = [];
    this.writing += singles.length;
    try {
      for (let i = 0; i < singles.length; i += ROWS_PER_TRANSACTION) {
        try {
          await this.write(...singles.slice(i, i + ROWS_PER_TRANSACTION));
        } catch (error) {
          this.buffer = singles.slice(i).concat(this.buffer);
          throw error;
        }
      }
    } finally {
      this.writing -= singles.length;
    }
    const taken: Array<{ key: string; tally: Tally; row: AuditEvent; count: number; first: number; last: number }> = [];
    for (const tallies of [this.reads, this.refusals]) {
      for (const [key, tally] of tallies) {
        if (tally.count === 0 || !tally.row) continue;
        taken.push({ key, tally, row: tally.row, count: tally.count, first: tally.first, last: tally.last });
        tally.count = 0;
        tally.row = undefined;
        this.dirty--;
      }
    }
    for (let i = 0; i < taken.length; i += ROWS_PER_TRANSACTION) {
      const batch = taken.slice(i, i + ROWS_PER_TRANSACTION);
      try {
        await this.upsert(batch.map((t) => rollupRow(t.key, t.tally.minute, t.row, t.count, t.first, t.last)));
      } catch (error) {
        // Back into their entries (which counted on meanwhile): nothing is lost, nothing new is held.
        for (const t of taken.slice(i)) {
          if (t.tally.count === 0) {
            t.tally.row = t.row;
            t.tally.first = t.first;
            t.tally.last = t.last;
            this.dirty++;
          } else {
            t.tally.first = Math.min(t.tally.first, t.first);
            t.tally.last = Math.max(t.tally.last, t.last);
          }
          t.tally.count += t.count;
          (t.tally.kind === 'read' ? this.reads : this.refusals).set(t.key, t.tally);
        }
        throw error;
      }
      for (const t of batch) if (t.tally.kind === 'read' && t.tally.count === 0) this.reads.delete(t.key);
    }
  }

  /** Roll-up rows: added to the row of their key and minute if one exists (another flush's, another instance's). */
  private async upsert(rows: AuditEvent[]): Promise<void> {
    await this.unitOfWork.run(
      (manager) => {
        const sqlite = manager.connection.options.type === 'better-sqlite3';
        const suffix = sqlite
          ? ' ON CONFLICT (id) DO UPDATE SET event_count = event_count + excluded.event_count, ' +
            'occurred_at = MIN(occurred_at, excluded.occurred_at), last_occurred_at = MAX(last_occurred_at, excluded.last_occurred_at)'
          : ' ON DUPLICATE KEY UPDATE event_count = event_count + VALUES(event_count), ' +
            'occurred_at = LEAST(occurred_at, VALUES(occurred_at)), last_occurred_at = GREATEST(last_occurred_at, VALUES(last_occurred_at))';
        return insertRows(manager, AuditEvent, rows, { rowsPerStatement: ROWS_PER_INSERT, suffix });
      },
      { bookkeeping: true },
    );
  }
}

/** The roll-up's key: every field it keeps (not the request's own id or duration, nor its agent: the first one's is kept). */
function keyOf(row: AuditEvent, minute: number): string {
  return [
    minute,
    row.subjectUserId,
    row.actorUserId,
    row.actorEmail,
    row.tokenId,
    row.tokenName,
    row.authMethod,
    row.action,
    row.targetType,
    row.targetId,
    row.outcome,
    row.statusCode,
    row.ip,
    row.details,
  ].join('\u0001');
}

/** Without who and where: what a roll-up keeps when the bound of keys is reached. */
function coarsened(event: AuditEvent): AuditEvent {
  return { ...event, actorUserId: null, actorEmail: null, subjectUserId: null, tokenId: null, tokenName: null, targetId: null, ip: null };
}

/**
 * The row of a key and minute, with the user agent of its first request. Its id has the time-ordered layout (the minute, then bits of the
 * key's hash), so that every flush and every instance meets the same row.
 */
function rollupRow(key: string, minute: number, row: AuditEvent, count: number, first: number, last: number): AuditEvent {
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(minute * MINUTE_MS, 0, 6);
  createHash('sha256').update(key).digest().copy(bytes, 6, 0, 10);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return {
    ...row,
    id: uuidText(bytes),
    occurredAt: new Date(first),
    lastOccurredAt: new Date(last),
    count,
    requestId: null,
    durationMs: null,
  };
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Random bytes drawn from a 4 KB pool: one CSPRNG call per ~400 ids instead of one per id. */
let pool = Buffer.alloc(0);
let used = 0;
function entropy(length: number): Buffer {
  if (used + length > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  return pool.subarray(used, (used += length));
}

/** A UUID with the UUIDv7 layout: 48 bits of milliseconds, then random bits. */
export function timeOrderedId(ms = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(ms, 0, 6);
  entropy(10).copy(bytes, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return uuidText(bytes);
}
