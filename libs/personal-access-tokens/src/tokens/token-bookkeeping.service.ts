import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Brackets, EntityManager } from 'typeorm';
import { Clock } from '../core/clock';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { PersonalAccessToken } from './personal-access-token.entity';
import { recordAddress, storedUserAgent } from './token-usage';

/** A use waiting to be written. */
interface Use {
  id: string;
  at: Date;
  ip: string | undefined;
  userAgent: string | null;
  /** Whether the token's own last use (`lastUsedAt`, `lastUsedIp`, user agent) is due. */
  row: boolean;
  /** Whether the address's entry in the where-used list is due. */
  address: boolean;
}

/** Bookkeeping writes (last use, digest re-keying) in flight at most: a slow database gets no pile of them. */
const MAX_BACKGROUND_WRITES = 64;
/** Token addresses whose last use waits for a free write, at most (one entry per token and address: the latest use). */
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
  /**
   * When this instance last wrote a use per token and address: most requests skip the write
   * entirely, and a token used from a new address has it written at once (where-used list).
   */
  private readonly lastUsedWrites = new Map<string, number>();
  /** Bookkeeping writes still in flight, drained before shutdown closes the connection. */
  private readonly pending = new Set<Promise<void>>();
  /** Last uses waiting for a free write (the database is behind): the latest per token and address. */
  private readonly deferredUses = new Map<string, Use>();

  constructor(
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /**
   * Records a use of the token: lastUsedAt, lastUsedIp and the user agent, written at most once a
   * minute per token (`lastUsedWriteIntervalSeconds`), and the address in the token's where-used
   * list (`recordAddress`), at most once a minute per token and address. Bounded: at most
   * `MAX_BACKGROUND_WRITES` writes in flight; past that the latest use per token and address
   * waits for one to finish (at most `MAX_DEFERRED_USES`); past that too, the use is not marked
   * written, so the next use tries again, and the skip is logged.
   */
  recordUse(id: string, ip: string | undefined, userAgent?: unknown): void {
    const now = this.clock.now();
    const interval = this.options.lastUsedWriteIntervalSeconds * 1000;
    const due = (key: string) => {
      const last = this.lastUsedWrites.get(key);
      return last === undefined || now.getTime() - last >= interval;
    };
    const addressKey = ip === undefined ? undefined : `${id} ${ip}`;
    const row = due(id);
    const address = addressKey !== undefined && due(addressKey);
    if (!row && !address) return;
    const key = addressKey ?? id;
    if (this.pending.size >= MAX_BACKGROUND_WRITES && this.deferredUses.size >= MAX_DEFERRED_USES && !this.deferredUses.has(key)) {
      this.logger.warn({ message: 'Last-use writes are behind: this use is written with the next one', waiting: this.deferredUses.size });
      return;
    }
    if (this.lastUsedWrites.size > 50_000) this.lastUsedWrites.clear();
    if (row) this.lastUsedWrites.set(id, now.getTime());
    if (addressKey !== undefined && address) this.lastUsedWrites.set(addressKey, now.getTime());
    const use: Use = {
      id,
      at: now,
      ip,
      userAgent: row ? storedUserAgent(userAgent, [this.options.tokenPrefix, this.options.sessionTokenPrefix]) : null,
      row: row || this.deferredUses.get(key)?.row === true,
      address,
    };
    if (this.pending.size >= MAX_BACKGROUND_WRITES) this.deferredUses.set(key, use);
    else this.writeUse(use);
  }

  /** A rotated token's next use is written whatever this instance wrote for its old secret. */
  forgetUse(id: string): void {
    for (const key of this.lastUsedWrites.keys()) if (key === id || key.startsWith(`${id} `)) this.lastUsedWrites.delete(key);
  }

  /**
   * Re-keys a token found under an older pepper's digest to the current one. Past the bound of
   * writes in flight it is skipped: the next verification with the old digest tries again.
   */
  rekeyDigest(id: string, from: string, to: string): void {
    if (this.pending.size >= MAX_BACKGROUND_WRITES) return;
    this.background('re-key token digest', (m) => m.update(PersonalAccessToken, { id, digest: from }, { digest: to }));
  }

  /** The token's last use where due (another instance may have written it this minute), and the address's. */
  private writeUse({ id, at, ip, userAgent, row, address }: Use): void {
    const staleBefore = new Date(at.getTime() - this.options.lastUsedWriteIntervalSeconds * 1000);
    this.background('record last use', async (manager) => {
      if (row) {
        await manager
          .createQueryBuilder()
          .update(PersonalAccessToken)
          .set({ lastUsedAt: at, lastUsedIp: ip ?? null, lastUsedUserAgent: userAgent })
          .where('id = :id', { id })
          .andWhere(new Brackets((b) => b.where('last_used_at IS NULL').orWhere('last_used_at < :staleBefore', { staleBefore })))
          .execute();
      }
      if (address && ip !== undefined) await recordAddress(manager, id, ip.slice(0, 45), at);
    });
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
    for (const [key, use] of this.deferredUses) {
      if (this.pending.size >= MAX_BACKGROUND_WRITES) return;
      this.deferredUses.delete(key);
      this.writeUse(use);
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
