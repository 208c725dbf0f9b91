import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LessThanOrEqual } from 'typeorm';
import { Clock } from '../../core/clock';
import { isUniqueViolation } from '../../core/database-errors';
import { UnitOfWork } from '../../core/unit-of-work';
import { JobLease } from './job-lease.entity';

/** A held job lock: ask before each unit of work whether it is still held, release at the end. */
export interface JobLock {
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** How long a lease lasts without renewal: a holder that died frees the job after this. */
export const JOB_LEASE_SECONDS = 60;

/**
 * Cluster-wide "one runner at a time" for background jobs: a lease row per job (`job_leases`),
 * taken by a conditional update (free or past its `leaseUntil`), or by inserting the row the first
 * time (its primary key lets one insert win). The holder renews it before every unit of work; a
 * renewal that finds another holder, or cannot reach the database, means the lease is lost. Every
 * step is a row write, which a Galera cluster certifies (two takers on different nodes: one
 * commits, the other is aborted, retried, and then sees the lease taken), unlike `GET_LOCK`.
 * Times come from the clock; instances' clocks should agree to well within the lease.
 */
export class JobLocks {
  private readonly logger = new Logger(JobLocks.name);

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /** The lock, or null when another run holds it (never waits). */
  async tryAcquire(job: string): Promise<JobLock | null> {
    const holder = randomUUID();
    const acquired = await this.unitOfWork
      .run(
        async (manager) => {
          const now = this.clock.now();
          const leaseUntil = this.leaseFrom(now);
          const taken = await manager.update(JobLease, { name: job, leaseUntil: LessThanOrEqual(now) }, { holder, leaseUntil });
          if (taken.affected === 1) return true;
          if (await manager.exists(JobLease, { where: { name: job } })) return false;
          await manager.insert(JobLease, { name: job, holder, leaseUntil });
          return true;
        },
        { bookkeeping: true },
      )
      .catch((error: unknown) => {
        // Another instance inserted the job's first lease at the same moment: it holds it.
        if (isUniqueViolation(error)) return false;
        throw error;
      });
    if (!acquired) return null;
    return {
      stillHeld: () => this.renew(job, holder),
      release: async () => {
        try {
          await this.unitOfWork.run(
            (manager) => manager.update(JobLease, { name: job, holder }, { holder: null, leaseUntil: this.clock.now() }),
            { bookkeeping: true },
          );
        } catch (error) {
          this.logger.warn({ message: 'Could not release job lease (it runs out by itself)', job, error: String(error) });
        }
      },
    };
  }

  private async renew(job: string, holder: string): Promise<boolean> {
    try {
      const renewed = await this.unitOfWork.run(
        (manager) => manager.update(JobLease, { name: job, holder }, { leaseUntil: this.leaseFrom(this.clock.now()) }),
        { bookkeeping: true },
      );
      return renewed.affected === 1;
    } catch {
      return false;
    }
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + JOB_LEASE_SECONDS * 1000);
  }
}
