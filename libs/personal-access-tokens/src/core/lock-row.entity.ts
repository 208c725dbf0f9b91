import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A row that a transaction writes first to serialize a check-then-act (e.g. "count a user's live
 * tokens, then insert one"). On one server the write's row lock makes the next transaction wait;
 * on a Galera cluster two such transactions on different nodes write the same key, so
 * certification lets one commit and aborts the other, which is retried. Created on first use, so
 * it exists whoever stores the users.
 */
@Entity({ name: 'lock_rows' })
export class LockRow {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  name: string;

  /** Bumped by every holder: the write that takes the lock (and that certification sees). */
  @Column({ type: 'int' })
  version: number;
}
