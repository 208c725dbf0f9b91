import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, LessThan } from 'typeorm';
import { RateLimitCounter } from './rate-limit-counter.entity';
import { RateLimitStore } from './rate-limiter';
import { UnitOfWork } from './unit-of-work';

/** The width of the `key` column (characters). */
const KEY_COLUMN_LENGTH = 200;

/**
 * A key that fits the column: as it is, or for a longer one (a 300-character email) a readable
 * head and a SHA-256 of the whole key, so that two long keys never share a counter.
 */
export function storedRateLimitKey(key: string): string {
  if (key.length <= KEY_COLUMN_LENGTH) return key;
  return `${key.slice(0, 100)}#${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Rate-limit counters in the database, so that limits hold across instances. One upsert and one
 * read per counted attempt; old windows are purged now and then.
 */
@Injectable()
export class DatabaseRateLimitStore implements RateLimitStore {
  private lastPurge = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async increment(rawKey: string, windowStart: number, windowSeconds: number, cost: number): Promise<number> {
    const key = storedRateLimitKey(rawKey);
    const upsert =
      this.dataSource.options.type === 'better-sqlite3'
        ? 'INSERT INTO rate_limit_counters (`key`, window_start, count) VALUES (?, ?, ?) ON CONFLICT(`key`, window_start) DO UPDATE SET count = count + excluded.count'
        : 'INSERT INTO rate_limit_counters (`key`, window_start, count) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE count = count + VALUES(count)';
    const count = await this.unitOfWork.run(
      async (manager) => {
        await manager.query(upsert, [key, windowStart, cost]);
        return this.read(manager.query.bind(manager), key, windowStart);
      },
      { bookkeeping: true },
    );
    if (windowStart - this.lastPurge > windowSeconds * 1000) {
      this.lastPurge = windowStart;
      const before = String(windowStart - windowSeconds * 1000);
      await this.unitOfWork.run((manager) => manager.delete(RateLimitCounter, { windowStart: LessThan(before) }), { bookkeeping: true });
    }
    return count;
  }

  peek(key: string, windowStart: number): Promise<number> {
    return this.read((sql, params) => this.dataSource.query(sql, params), storedRateLimitKey(key), windowStart);
  }

  private async read(
    query: (sql: string, params: unknown[]) => Promise<Array<{ count: number | string }>>,
    key: string,
    windowStart: number,
  ) {
    const rows = await query('SELECT count FROM rate_limit_counters WHERE `key` = ? AND window_start = ?', [key, windowStart]);
    return rows.length ? Number(rows[0].count) : 0;
  }
}
