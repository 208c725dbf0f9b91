import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Brackets, EntityManager } from 'typeorm';
import { Clock } from '../core/clock';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { PersonalAccessToken } from './personal-access-token.entity';

/** Bookkeeping writes (last use, digest re-keying) in flight at most: a slow database gets no pile of them. */
const MAX_BACKGROUND_WRITES = 64;
/** Tokens whose last use waits for a free write, at most (one entry per token: the latest use). */
const MAX_DEFERRED_USES = 50_000;

/**
 * The writes a verification causes but must not wait for: a token's last use (write-behind, at
 * most once per `lastUsedWriteIntervalSeconds`) and the re-keying of a digest made under an older
 * pepper. They share one bound on writes in flight, and are drained before shutdown closes the
 * connection.
 */
@Injectable()
export class TokenBookkeepingService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(TokenBookkeepingService.name);
  /** When this instance last wrote lastUsedAt per token: most requests skip the write entirely. */
  private readonly lastUsedWrites = new Map<string, number>();
  /** Bookkeeping writes still in flight, drained before shutdown closes the connection. */
  private readonly pending = new Set<Promise<void>>();
  /** Last uses waiting for a free write (the database is behind): the latest per token. */
  private readonly deferredUses = new Map<string, { at: Date; ip: string | undefined }>();

  constructor(
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a use of the token: lastUsedAt and lastUsedIp, written at most once a minute per token.
   * Bounded: at most `MAX_BACKGROUND_WRITES` writes in flight; past that the latest use per token
   * waits for one to finish (at most `MAX_DEFERRED_USES` tokens); past that too, the use is not
   * marked written, so the token's next use tries again, and the skip is logged.
   */
  recordUse(id: string, ip: string | undefined): void {
    const now = this.clock.now();
    const interval = this.options.lastUsedWriteIntervalSeconds * 1000;
    const last = this.lastUsedWrites.get(id);
    if (last !== undefined && now.getTime() - last < interval) return;
    if (this.pending.size >= MAX_BACKGROUND_WRITES && this.deferredUses.size >= MAX_DEFERRED_USES && !this.deferredUses.has(id)) {
      this.logger.warn({ message: 'Last-use writes are behind: this use is written with the next one', waiting: this.deferredUses.size });
      return;
    }
    if (this.lastUsedWrites.size > 50_000) this.lastUsedWrites.clear();
    this.lastUsedWrites.set(id, now.getTime());
    if (this.pending.size >= MAX_BACKGROUND_WRITES) this.deferredUses.set(id, { at: now, ip });
    else this.writeUse(id, now, ip);
  }

  /** A rotated token's next use is written whatever this instance wrote for its old secret. */
  forgetUse(id: string): void {
    this.lastUsedWrites.delete(id);
  }

  /**
   * Re-keys a token found under an older pepper's digest to the current one. Past the bound of
   * writes in flight it is skipped: the next verification with the old digest tries again.
   */
  rekeyDigest(id: string, from: string, to: string): void {
    if (this.pending.size >= MAX_BACKGROUND_WRITES) return;
    this.background('re-key token digest', (m) => m.update(PersonalAccessToken, { id, digest: from }, { digest: to }));
  }

  private writeUse(id: string, now: Date, ip: string | undefined): void {
    const staleBefore = new Date(now.getTime() - this.options.lastUsedWriteIntervalSeconds * 1000);
    this.background('record last use', (manager) =>
      manager
        .createQueryBuilder()
        .update(PersonalAccessToken)
        .set({ lastUsedAt: now, lastUsedIp: ip ?? null })
        .where('id = :id', { id })
        .andWhere(new Brackets((b) => b.where('last_used_at IS NULL').orWhere('last_used_at < :staleBefore', { staleBefore })))
        .execute(),
    );
  }

  /** Bookkeeping writes that must not slow down or fail the request that caused them. */
  private background(what: string, work: (manager: EntityManager) => Promise<unknown>): void {
    const write: Promise<void> = this.unitOfWork
      .run(work, { bookkeeping: true })
      .then(
        () => undefined,
        (error: unknown) => {
          this.logger.warn({ message: `Could not ${what}`, error: error instanceof Error ? error.message : String(error) });
        },
      )
      .finally(() => {
        this.pending.delete(write);
        this.writeDeferredUses();
      });
    this.pending.add(write);
  }

  /** Deferred last uses, as writes become free. */
  private writeDeferredUses(): void {
    for (const [id, use] of this.deferredUses) {
      if (this.pending.size >= MAX_BACKGROUND_WRITES) return;
      this.deferredUses.delete(id);
      this.writeUse(id, use.at, use.ip);
    }
  }

  /** Resolves once every bookkeeping write started so far (last use, digest re-keying) has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Runs before TypeORM closes its connections, so a use recorded just before shutdown is not lost. */
  beforeApplicationShutdown(): Promise<void> {
    return this.settled();
  }
}
