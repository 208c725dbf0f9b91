import { Injectable, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { isLockWaitTimeout, isRetryableConflict } from './database-errors';
import { onGalera } from './raw-entity';

export interface UnitOfWorkOptions {
  /**
   * The name of a lock row (`lock_rows`) that the transaction writes first, so that transactions
   * naming the same lock run one after the other, on one server and across a cluster (see below).
   */
  lock?: string;
  /**
   * Bookkeeping (last-used stamps, re-keying, the audit trail's own writes): the transaction
   * carries no request's audit event, which belongs with the request's own change instead.
   */
  bookkeeping?: boolean;
}

/**
 * The rows a query inside a unit of work selects, locked (FOR UPDATE) until it ends, so that what
 * it then changes is what it read. SQLite has no row locks and needs none: the unit of work runs
 * its write transactions one at a time.
 */
export function lockedForUpdate<T extends ObjectLiteral>(builder: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
  return builder.dataSource.options.type === 'better-sqlite3' ? builder : builder.setLock('pessimistic_write');
}

/** How often a transaction aborted by a conflict is run again before the caller gets the error (a 503). */
export const MAX_TRANSACTION_ATTEMPTS = 10;

/** What a transaction hook learns about the transaction it joined. */
export interface TransactionParticipation {
  committed(): void;
  rolledBack(): void;
}

export interface TransactionHook {
  /** Writes inside the transaction, before its commit; answers how to learn its fate, if it joined. */
  beforeCommit(manager: EntityManager): Promise<TransactionParticipation | undefined>;
}

/**
 * Runs database writes as transactions, one way on every database.
 *
 * SQLite (better-sqlite3) has a single connection shared by every query runner: two transactions
 * started concurrently would interleave on it, and a rollback would take another request's writes
 * with it. So on SQLite every write goes through one FIFO queue. MySQL/MariaDB get ordinary pooled
 * transactions. Where a check-then-act spans rows that no single row lock covers ("count a
 * user's tokens, then insert one"), the transaction first bumps a lock row: on one server that
 * row lock makes the next holder wait until the commit; on a Galera cluster, where row locks are
 * local to a node, two holders on different nodes wrote the same row, and certification commits
 * one and aborts the other. Named locks (GET_LOCK) would do neither on a cluster: they are not
 * replicated.
 *
 * A transaction aborted by a deadlock or a certification failure is run again from the start, up
 * to `MAX_TRANSACTION_ATTEMPTS` times with a growing random pause (one that waited out
 * innodb_lock_wait_timeout, twice: something holds the lock for long, and waiting again helps little); the
 * work must therefore only touch the database (it may run more than once), and the error that
 * outlasts the attempts reaches the caller (the API answers 503 with Retry-After).
 */
@Injectable()
export class UnitOfWork implements OnModuleInit {
  private readonly serialized: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  private hook?: TransactionHook;

  constructor(private readonly dataSource: DataSource) {
    this.serialized = dataSource.options.type === 'better-sqlite3';
  }

  /** Learns once whether reads need Galera's causality wait (see `readRows`), before any request. */
  async onModuleInit(): Promise<void> {
    await onGalera(this.dataSource.manager);
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(work, options);
      } catch (error) {
        if (this.serialized || !isRetryableConflict(error)) throw error;
        if (attempt >= (isLockWaitTimeout(error) ? 2 : MAX_TRANSACTION_ATTEMPTS)) throw error;
        // Full jitter on a doubling ceiling (10, 20, 40 ... 500 ms; about 1 s in all on average):
        // racing writers spread out, and a burst on one hot row (a user's lock, a rate-limit
        // counter) drains before anyone gives up.
        await sleep(Math.random() * Math.min(500, 5 * 2 ** attempt));
      }
    }
  }

  private async attempt<T>(work: (manager: EntityManager) => Promise<T>, options: UnitOfWorkOptions): Promise<T> {
    const locked = options.lock === undefined ? work : this.lockedBy(options.lock, work);
    const hook = options.bookkeeping ? undefined : this.hook;
    if (!hook) return this.transact(locked);
    let participation: TransactionParticipation | undefined;
    try {
      const result = await this.transact(async (manager) => {
        const value = await locked(manager);
        participation = await hook.beforeCommit(manager);
        return value;
      });
      participation?.committed();
      return result;
    } catch (error) {
      participation?.rolledBack();
      throw error;
    }
  }

  /**
   * Lets one participant (the audit trail) add its own writes to every transaction that is not
   * bookkeeping, after the work and before the commit: they commit or roll back together.
   */
  useTransactionHook(hook: TransactionHook): void {
    this.hook = hook;
  }

  private transact<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.serialized) return this.enqueue(() => this.dataSource.transaction(work));
    return this.dataSource.transaction(work);
  }

  /** The work, after the transaction's first statement has taken the lock row (creating it if need be). */
  private lockedBy<T>(lock: string, work: (manager: EntityManager) => Promise<T>): (manager: EntityManager) => Promise<T> {
    const upsert = this.serialized
      ? 'INSERT INTO lock_rows (name, version) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET version = version + 1'
      : 'INSERT INTO lock_rows (name, version) VALUES (?, 1) ON DUPLICATE KEY UPDATE version = version + 1';
    return async (manager) => {
      await manager.query(upsert, [lock]);
      return work(manager);
    };
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
