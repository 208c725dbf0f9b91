import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../core/clock';
import { TooManyRequestsError } from '../core/domain-error';
import { RateLimiter } from '../core/rate-limiter';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';

/**
 * Slows down token guessing: failed authentications are counted per client IP in the shared
 * rate-limit store; an IP over the limit gets 429 before any verification until its window ends.
 * Successful requests cost only a map lookup. The limit is per IP, never per user or token, so
 * an attacker cannot lock the owner out from elsewhere. Across instances an IP may get one more
 * try per instance before each one learns it is blocked.
 */
@Injectable()
export class FailedAuthLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  assertAllowed(ip: string): void {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return;
    const now = this.clock.now().getTime();
    if (until <= now) {
      this.blockedUntil.delete(ip);
      return;
    }
    throw this.tooMany(Math.ceil((until - now) / 1000));
  }

  async recordFailure(ip: string): Promise<void> {
    const { limit, windowSeconds } = this.options.failedAuthLimit;
    const decision = await this.limiter.consume(`auth-failure:${ip}`, limit, windowSeconds);
    if (decision.allowed) return;
    if (this.blockedUntil.size > 100_000) this.blockedUntil.clear();
    this.blockedUntil.set(ip, this.clock.now().getTime() + decision.retryAfterSeconds * 1000);
    throw this.tooMany(decision.retryAfterSeconds);
  }

  private tooMany(retryAfterSeconds: number): TooManyRequestsError {
    return new TooManyRequestsError(retryAfterSeconds, 'Too many failed authentications from this address; try again later');
  }
}
