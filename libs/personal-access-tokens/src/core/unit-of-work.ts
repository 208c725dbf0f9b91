import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface UnitOfWorkOptions {
  /** A MySQL named lock held around the transaction (see below). */
  lock?: string;
  /**
   * Bookkeeping (last-used stamps, re-keying, the audit trail's own writes): the transaction
   * carries no request's audit event, which belongs with the request's own change instead.
   */
  bookkeeping?: boolean;
}

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
 * transactions, plus a named lock (GET_LOCK) where a check-then-act spans rows that a row lock
 * cannot cover, such as "count a user's tokens, then insert one".
 */
@Injectable()
export class UnitOfWork {
  private readonly serialized: boolean;
  private queue: Promise<unknown> = Promise.resolve();
  private hook?: TransactionHook;

  constructor(private readonly dataSource: DataSource) {
    this.serialized = dataSource.options.type === 'better-sqlite3';
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
    const hook = options.bookkeeping ? undefined : this.hook;
    if (!hook) return this.transact(work, options.lock);
    let participation: TransactionParticipation | undefined;
    try {
      const result = await this.transact(async (manager) => {
        const value = await work(manager);
        participation = await hook.beforeCommit(manager);
        return value;
      }, options.lock);
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

  private async transact<T>(work: (manager: EntityManager) => Promise<T>, lock: string | undefined): Promise<T> {
    if (this.serialized) return this.enqueue(() => this.dataSource.transaction(work));
    if (!lock) return this.dataSource.transaction(work);
    // The lock is held from before BEGIN until after COMMIT, so the next holder sees committed rows.
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [row] = await runner.query('SELECT GET_LOCK(?, 10) AS acquired', [lock]);
      if (Number(row?.acquired) !== 1) throw new Error(`Timed out waiting for lock ${lock}`);
      try {
        await runner.startTransaction();
        try {
          const result = await work(runner.manager);
          await runner.commitTransaction();
          return result;
        } catch (error) {
          await runner.rollbackTransaction();
          throw error;
        }
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
      }
    } finally {
      await runner.release();
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
