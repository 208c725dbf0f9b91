import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

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

  constructor(private readonly dataSource: DataSource) {
    this.serialized = dataSource.options.type === 'better-sqlite3';
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>, options: { lock?: string } = {}): Promise<T> {
    if (this.serialized) return this.enqueue(() => this.dataSource.transaction(work));
    if (!options.lock) return this.dataSource.transaction(work);
    // The lock is held from before BEGIN until after COMMIT, so the next holder sees committed rows.
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [row] = await runner.query('SELECT GET_LOCK(?, 10) AS acquired', [options.lock]);
      if (Number(row?.acquired) !== 1) throw new Error(`Timed out waiting for lock ${options.lock}`);
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
        await runner.query('SELECT RELEASE_LOCK(?)', [options.lock]);
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
