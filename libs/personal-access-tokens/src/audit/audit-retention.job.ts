import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CronJob } from 'cron';
import { In, LessThan, Repository } from 'typeorm';
import { InjectRepository } from '@nestjs/typeorm';
import { Clock } from '../core/clock';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { AuditEvent } from './audit-event.entity';
import { AuditWriter, timeOrderedId } from './audit-writer';

const DAY = 24 * 3600 * 1000;

/**
 * Deletes audit events older than `audit.retentionDays`, in bounded batches (one short
 * transaction each, oldest first), and records that it did. Safe on several instances at once:
 * a batch only deletes rows it just selected, and deleting twice is harmless.
 *
 * @example
 * const deleted = await app.get(AuditRetentionJob).purge(); // on demand
 */
@Injectable()
export class AuditRetentionJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AuditRetentionJob.name);
  private cronJob?: CronJob;
  private running?: Promise<number>;
  private stopping = false;

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly writer: AuditWriter,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const cron = this.options.audit.retentionCron;
    if (cron === false) return;
    this.cronJob = CronJob.from({
      cronTime: cron,
      start: true,
      timeZone: 'UTC',
      onTick: () => void this.purge().catch((error) => this.logger.error({ message: 'Audit retention failed', error: String(error) })),
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.cronJob?.stop();
    await this.running?.catch(() => undefined);
  }

  /** Purges what is past retention; answers how many events were deleted. */
  purge(batchSize = 1000): Promise<number> {
    this.running ??= this.purgeBatches(batchSize).finally(() => (this.running = undefined));
    return this.running;
  }

  private async purgeBatches(batchSize: number): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.options.audit.retentionDays * DAY);
    let deleted = 0;
    while (!this.stopping) {
      const batch = await this.events.find({
        select: { id: true },
        where: { occurredAt: LessThan(cutoff) },
        order: { occurredAt: 'ASC' },
        take: batchSize,
      });
      if (!batch.length) break;
      const ids = batch.map((row) => row.id);
      await this.unitOfWork.run((manager) => manager.delete(AuditEvent, { id: In(ids) }), { bookkeeping: true });
      deleted += ids.length;
      if (batch.length < batchSize) break;
    }
    if (deleted) {
      this.logger.log({ message: 'Audit events past retention deleted', deleted, before: cutoff.toISOString() });
      await this.writer.write({
        id: timeOrderedId(),
        occurredAt: now,
        actorUserId: null,
        actorEmail: null,
        subjectUserId: null,
        tokenId: null,
        tokenName: null,
        authMethod: 'system',
        action: 'audit_event.retention_purge',
        targetType: null,
        targetId: null,
        outcome: 'success',
        statusCode: null,
        ip: null,
        userAgent: null,
        requestId: null,
        durationMs: null,
        count: 1,
        lastOccurredAt: null,
        details: JSON.stringify({ deleted, before: cutoff.toISOString(), retentionDays: this.options.audit.retentionDays }),
      });
    }
    return deleted;
  }
}
