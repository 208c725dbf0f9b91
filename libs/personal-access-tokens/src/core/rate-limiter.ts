import { Inject, Injectable } from '@nestjs/common';
import { Clock } from './clock';

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
  /** The window the attempt was counted in (epoch ms), for `refund`. */
  windowStart: number;
}

/**
 * Fixed-window counters. In memory per instance; a shared store for several instances is
 * provided under `RateLimitStore` (e.g. the database one in hardening).
 */
export interface RateLimitStore {
  /** Adds `cost` to the counter of `key` in the current window and answers the new count. */
  increment(key: string, windowStart: number, windowSeconds: number, cost: number): Promise<number>;
  peek(key: string, windowStart: number): Promise<number>;
}

export const RateLimitStore = Symbol('RateLimitStore');

/** Counters a memory store holds at most. */
const MAX_COUNTERS = 100_000;
/** Where new keys count once every counter is live: together, rather than unlimited or unbounded. */
const OVERFLOW_KEY = '\u0000overflow';

/**
 * Bounded: past `MAX_COUNTERS` keys, counters of past windows are evicted; when all are live, new
 * keys share one overflow counter (a flood of distinct keys is limited as one client, and never
 * resets anyone's count by evicting it).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, { windowStart: number; count: number }>();

  async increment(key: string, windowStart: number, _windowSeconds: number, cost: number): Promise<number> {
    key = this.slotOf(key, windowStart);
    const current = this.counters.get(key);
    const count = (current && current.windowStart === windowStart ? current.count : 0) + cost;
    this.counters.set(key, { windowStart, count });
    return count;
  }

  async peek(key: string, windowStart: number): Promise<number> {
    const current = this.counters.get(this.counters.has(key) || this.counters.size < MAX_COUNTERS ? key : OVERFLOW_KEY);
    return current && current.windowStart === windowStart ? current.count : 0;
  }

  /** Counters held now (for tests and metrics). */
  size(): number {
    return this.counters.size;
  }

  private slotOf(key: string, windowStart: number): string {
    if (this.counters.has(key) || this.counters.size < MAX_COUNTERS) return key;
    this.evictBefore(windowStart);
    return this.counters.size < MAX_COUNTERS ? key : OVERFLOW_KEY;
  }

  private evictBefore(windowStart: number): void {
    for (const [key, value] of this.counters) if (value.windowStart < windowStart) this.counters.delete(key);
  }
}

@Injectable()
export class RateLimiter {
  constructor(
    @Inject(RateLimitStore) private readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {}

  /** Counts one attempt against `key` and says whether it is within `limit` per window. */
  async consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const { windowStart, retryAfterSeconds } = this.window(windowSeconds);
    const count = await this.store.increment(key, windowStart, windowSeconds, 1);
    return { allowed: count <= limit, retryAfterSeconds, windowStart };
  }

  /**
   * Takes back an attempt that `consume` counted, in the window it was counted in: "count only
   * failures" without a check-then-count race (count first, refund what turned out fine).
   */
  async refund(key: string, windowSeconds: number, decision: RateLimitDecision): Promise<void> {
    await this.store.increment(key, decision.windowStart, windowSeconds, -1);
  }

  /** Whether `key` is already over `limit`, without counting. */
  async check(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const { windowStart, retryAfterSeconds } = this.window(windowSeconds);
    return { allowed: (await this.store.peek(key, windowStart)) < limit, retryAfterSeconds, windowStart };
  }

  private window(windowSeconds: number) {
    const now = this.clock.now().getTime();
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    return { windowStart, retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)) };
  }
}
