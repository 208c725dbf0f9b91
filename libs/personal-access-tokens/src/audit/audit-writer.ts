import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { isUniqueViolation } from '../core/database-errors';
import { insertRows, tableOf } from '../core/raw-entity';
import type { TokenEventSource } from '../core/token-events';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { AuditEvent } from './audit-event.entity';

/** Rows per INSERT: well under SQLite's bound-parameter limit with 19 columns. */
const ROWS_PER_INSERT = 100;
/**
 * Buffered rows per transaction (several INSERTs): each commit is a sync of the log to disk, which
 * on SQLite also holds the event loop, so one per thousand reads rather than one per hundred.
 */
const ROWS_PER_TRANSACTION = 1000;

/**
 * Writes audit events. Mutations' events are written at once (or inside the mutation's own
 * transaction, see `AuditTrail`); reads' events are buffered and written as multi-row inserts,
 * every `flushIntervalMs` or when a batch is full. The buffer is bounded: when it is full, the
 * request that would overflow it waits for a flush (back-pressure) instead of dropping events.
 * On shutdown the buffer is flushed, and from then on every event is written at once.
 */
@Injectable()
export class AuditWriter implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(AuditWriter.name);
  private buffer: AuditEvent[] = [];
  /** Events taken from the buffer whose insert has not finished. */
  private writing = 0;
  private draining: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.options.audit.flushIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.flush();
  }

  /** Requests finishing while the server drains were written at once; this catches any stragglers. */
  async onApplicationShutdown(): Promise<void> {
    if (this.buffer.length) await this.flush().catch(() => undefined);
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

  /** Buffers an event; resolves once there is room for it (buffered plus being written). */
  async enqueue(event: AuditEvent): Promise<void> {
    if (this.closing) return this.write(event);
    while (this.buffer.length + this.writing >= this.options.audit.maxBufferedEvents) await this.flush();
    this.buffer.push(event);
    if (this.buffer.length >= ROWS_PER_TRANSACTION) void this.drain(false).catch(() => undefined);
  }

  /** Writes everything buffered so far, after any write already under way. */
  flush(): Promise<void> {
    return this.drain(true);
  }

  /** Drains one transaction at a time: full ones only, or (`all`) everything. */
  private drain(all: boolean): Promise<void> {
    const run = async () => {
      while (this.buffer.length >= (all ? 1 : ROWS_PER_TRANSACTION)) {
        const batch = this.buffer.splice(0, ROWS_PER_TRANSACTION);
        this.writing += batch.length;
        try {
          await this.write(...batch);
        } catch (error) {
          // Kept for the next flush, unless that would overflow the bound.
          const room = Math.max(0, this.options.audit.maxBufferedEvents - this.buffer.length);
          this.buffer.unshift(...batch.slice(0, room));
          this.logger.error({
            message: 'Could not write buffered audit events',
            kept: Math.min(room, batch.length),
            dropped: Math.max(0, batch.length - room),
            error: error instanceof Error ? error.message : String(error),
          });
          throw error;
        } finally {
          this.writing -= batch.length;
        }
      }
    };
    const next = this.draining.catch(() => undefined).then(run);
    this.draining = next;
    return next;
  }
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
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
