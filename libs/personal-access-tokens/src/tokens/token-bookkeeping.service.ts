import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Brackets, EntityManager } from 'typeorm';
import { Clock } from '../core/clock';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { PersonalAccessToken } from './personal-access-token.entity';
import { recordAddresses, RECENT_ADDRESSES_PER_TOKEN, SeenAddress, storedUserAgent } from './token-usage';

/** Bookkeeping writes (last use, digest re-keying) in flight at most: a slow database gets no pile of them. */
const MAX_BACKGROUND_WRITES = 64;
/** Tokens whose last use waits for a free write, at most (one entry per token: the latest use). */
const MAX_DEFERRED_USES = 50_000;
/** Tokens with addresses seen and not yet written, at most (each holds at most five addresses). */
const MAX_TOKENS_WITH_UNWRITTEN_ADDRESSES = 50_000;

interface Use {
  at: Date;
  ip: string | undefined;
  userAgent: string | null;
}

/**
 * The writes a verification causes but must not wait for: a token's last use (write-behind, at
 * most once per `lastUsedWriteIntervalSeconds`), the addresses it was used from (gathered in
 * memory, five per token, and written with the token's next last-use write or by the periodic
 * flush, so at most one write per token per interval however many addresses use it), and the
 * re-keying of a digest made under an older pepper. They share one bound on writes in flight, and
 * are drained before shutdown closes the connection.
 */
@Injectable()
export class TokenBookkeepingService implements BeforeApplicationShutdown, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokenBookkeepingService.name);
  /** When this instance last wrote lastUsedAt per token: most requests skip the write entirely. */
  private readonly lastUsedWrites = new Map<string, number>();
  /** Bookkeeping writes still in flight, drained before shutdown closes the connection. */
  private readonly pending = new Set<Promise<void>>();
  /** Last uses waiting for a free write (the database is behind): the latest per token. */
  private readonly deferredUses = new Map<string, Use>();
  /** Addresses seen per token since its last write, most recently seen last (at most five per token). */
  private readonly unwrittenAddresses = new Map<string, Map<string, SeenAddress>>();
  private flushTimer?: NodeJS.Timeout;

  constructor(
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // Addresses of tokens not used again within the interval (the last-use write took the others).
    this.flushTimer = setInterval(() => this.flushAddresses(), this.options.lastUsedWriteIntervalSeconds * 1000);
    this.flushTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.flushTimer);
  }

  /**
   * Records a use of the token: lastUsedAt, lastUsedIp and the user agent, written at most once a
   * minute per token, with the addresses seen since the token's last write (see `noteAddress`).
   * Bounded: at most `MAX_BACKGROUND_WRITES` writes in flight; past that the latest use per token
   * waits for one to finish (at most `MAX_DEFERRED_USES` tokens); past that too, the use is not
   * marked written, so the token's next use tries again, and the skip is logged.
   */
  recordUse(id: string, ip: string | undefined, userAgent?: unknown): void {
    const now = this.clock.now();
    if (ip !== undefined) this.noteAddress(id, ip, now);
    const interval = this.options.lastUsedWriteIntervalSeconds * 1000;
    const last = this.lastUsedWrites.get(id);
    if (last !== undefined && now.getTime() - last < interval) return;
    if (this.pending.size >= MAX_BACKGROUND_WRITES && this.deferredUses.size >= MAX_DEFERRED_USES && !this.deferredUses.has(id)) {
      this.logger.warn({ message: 'Last-use writes are behind: this use is written with the next one', waiting: this.deferredUses.size });
      return;
    }
    if (this.lastUsedWrites.size > 50_000) this.lastUsedWrites.clear();
    this.lastUsedWrites.set(id, now.getTime());
    const use = { at: now, ip, userAgent: storedUserAgent(userAgent, [this.options.tokenPrefix, this.options.sessionTokenPrefix]) };
    if (this.pending.size >= MAX_BACKGROUND_WRITES) this.deferredUses.set(id, use);
    else this.writeUse(id, use);
  }

  /** Keeps the address in memory until the token's next write: its first and last time seen, five per token. */
  private noteAddress(id: string, ip: string, now: Date): void {
    let seen = this.unwrittenAddresses.get(id);
    if (!seen) {
      if (this.unwrittenAddresses.size >= MAX_TOKENS_WITH_UNWRITTEN_ADDRESSES) return;
      seen = new Map();
      this.unwrittenAddresses.set(id, seen);
    }
    const address = ip.slice(0, 45);
    const known = seen.get(address);
    seen.delete(address);
    seen.set(address, { ip: address, firstSeenAt: known?.firstSeenAt ?? now, lastSeenAt: now });
    if (seen.size > RECENT_ADDRESSES_PER_TOKEN) seen.delete(seen.keys().next().value!);
  }

  /** The addresses gathered for a token, handed to one write (and forgotten here). */
  private takeAddresses(id: string): SeenAddress[] {
    const seen = this.unwrittenAddresses.get(id);
    this.unwrittenAddresses.delete(id);
    return seen ? [...seen.values()] : [];
  }

  /** One write per token with addresses not written yet, within the bound of writes in flight. */
  private flushAddresses(): void {
    for (const id of [...this.unwrittenAddresses.keys()]) {
      if (this.pending.size >= MAX_BACKGROUND_WRITES) return;
      const addresses = this.takeAddresses(id);
      this.background('record where a token was used', (manager) => recordAddresses(manager, id, addresses));
    }
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

  private writeUse(id: string, { at, ip, userAgent }: Use): void {
    const staleBefore = new Date(at.getTime() - this.options.lastUsedWriteIntervalSeconds * 1000);
    const addresses = this.takeAddresses(id);
    this.background('record last use', async (manager) => {
      await manager
        .createQueryBuilder()
        .update(PersonalAccessToken)
        .set({ lastUsedAt: at, lastUsedIp: ip ?? null, lastUsedUserAgent: userAgent })
        .where('id = :id', { id })
        .andWhere(new Brackets((b) => b.where('last_used_at IS NULL').orWhere('last_used_at < :staleBefore', { staleBefore })))
        .execute();
      await recordAddresses(manager, id, addresses);
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
    for (const [id, use] of this.deferredUses) {
      if (this.pending.size >= MAX_BACKGROUND_WRITES) return;
      this.deferredUses.delete(id);
      this.writeUse(id, use);
    }
  }

  /** Writes what is gathered, and resolves once every bookkeeping write started so far has finished. */
  async settled(): Promise<void> {
    do {
      this.flushAddresses();
      while (this.pending.size) await Promise.all([...this.pending]);
    } while (this.unwrittenAddresses.size);
  }

  /** Runs before TypeORM closes its connections, so a use recorded just before shutdown is not lost. */
  beforeApplicationShutdown(): Promise<void> {
    return this.settled();
  }
}
