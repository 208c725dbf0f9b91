import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Whose turn it is to run a background job: taken and renewed by conditional updates, so that
 * exactly one instance holds it on one server and on a cluster, and a holder that died loses it
 * when `leaseUntil` passes.
 */
@Entity({ name: 'job_leases' })
export class JobLease {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  name: string;

  /** The run holding the lease (random per run); null once released. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  holder: string | null;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3 })
  leaseUntil: Date;
}
