import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One fixed-window counter of the database rate-limit store, shared by every instance. */
@Entity({ name: 'rate_limit_counters' })
@Index('IDX_rate_limit_window', ['windowStart'])
export class RateLimitCounter {
  @PrimaryColumn({ type: 'varchar', length: 200 })
  key: string;

  /** Window start, epoch milliseconds. */
  @PrimaryColumn({ name: 'window_start', type: 'bigint' })
  windowStart: string;

  @Column({ type: 'int' })
  count: number;
}
