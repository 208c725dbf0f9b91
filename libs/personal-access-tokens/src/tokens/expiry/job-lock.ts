import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';

/** A held job lock: ask before each unit of work whether it is still held, release at the end. */
export interface JobLock {
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

const NO_LOCK: JobLock = { stillHeld: async () => true, release: async () => undefined };

/**
 * Cluster-wide "one runner at a time" for background jobs. On MySQL/MariaDB a `GET_LOCK` held by
 * a dedicated connection: the server frees it when that connection dies, so the lock is treated
 * as lost as soon as the connection no longer answers as its holder. Lock names are server-wide,
 * so each is qualified with the database: two deployments sharing a server do not block each
 * other. On SQLite (one process, one connection) there is nothing to coordinate.
 */
export class JobLocks {
  private readonly logger = new Logger(JobLocks.name);

  constructor(private readonly dataSource: DataSource) {}

  /** The lock, or null when another connection holds it (never waits). */
  async tryAcquire(job: string): Promise<JobLock | null> {
    if (this.dataSource.options.type === 'better-sqlite3') return NO_LOCK;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let name: string;
    try {
      name = await this.lockName(runner, job);
      const [row] = await runner.query('SELECT GET_LOCK(?, 0) AS acquired', [name]);
      if (Number(row?.acquired) !== 1) {
        await runner.release();
        return null;
      }
    } catch (error) {
      await runner.release().catch(() => undefined);
      throw error;
    }
    return {
      stillHeld: () => this.holds(runner, name),
      release: async () => {
        try {
          await runner.query('SELECT RELEASE_LOCK(?)', [name]);
        } catch (error) {
          this.logger.warn({
            message: 'Could not release job lock (its connection is gone, so the server already did)',
            lock: name,
            error: String(error),
          });
        } finally {
          await runner.release().catch(() => undefined);
        }
      },
    };
  }

  /** `<job>:<16 hex of the database name's SHA-1>`: within the 64 characters MySQL allows. */
  async lockName(runner: QueryRunner, job: string): Promise<string> {
    const [{ db }] = await runner.query('SELECT DATABASE() AS db');
    return `${job}:${createHash('sha1').update(String(db)).digest('hex').slice(0, 16)}`;
  }

  private async holds(runner: QueryRunner, name: string): Promise<boolean> {
    try {
      const [row] = await runner.query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held', [name]);
      return Number(row?.held) === 1;
    } catch {
      return false;
    }
  }
}
