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

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, { windowStart: number; count: number }>();

  async increment(key: string, windowStart: number, _windowSeconds: number, cost: number): Promise<number> {
    const current = this.counters.get(key);
    const count = (current && current.windowStart === windowStart ? current.count : 0) + cost;
    if (this.counters.size > 100_000) this.evictBefore(windowStart);
    this.counters.set(key, { windowStart, count });
    return count;
  }

  async peek(key: string, windowStart: number): Promise<number> {
    const current = this.counters.get(key);
    return current && current.windowStart === windowStart ? current.count : 0;
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
