import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../core/clock';
import { TooManyRequestsError } from '../core/domain-error';
import { RateLimiter } from '../core/rate-limiter';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { InvalidTokenError } from '../core/auth.errors';
import { TokenHasher } from '../tokens/token-hasher';

/** How long a credential that verified here gets past a blocked address, and how many are remembered. */
const KNOWN_GOOD_MS = 24 * 3600 * 1000;
const KNOWN_GOOD_MAX = 100_000;

/**
 * Slows down token guessing: failed authentications are counted per client IP in the shared
 * rate-limit store; an IP over the limit gets 429 before any verification until its window ends.
 * The limit is per IP, never per user or token, so an attacker cannot lock the owner out from
 * elsewhere. Across instances an IP may get one more try per instance before each one learns it
 * is blocked.
 *
 * Many clients can share an address (a NAT, a proxy that is not trusted): one of them guessing must
 * not lock the others out. So a credential that this instance verified successfully in the last 24
 * hours (remembered by its HMAC digest, never in plaintext) still passes a blocked address, and is
 * verified in full as usual. A guess from a blocked address is refused without a query: a guess
 * matches a remembered credential only by finding a live secret, which is what the limit makes hopeless.
 */
@Injectable()
export class FailedAuthLimiter {
  private readonly blockedUntil = new Map<string, number>();
  /** Digest -> until when it passes a block; insertion order is age order. */
  private readonly knownGood = new Map<string, number>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    private readonly hasher: TokenHasher,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * Runs `verify` for a credential from `ip` under the limit: refused with 429 while the address is
   * blocked (unless the credential verified here recently), an invalid credential counted.
   * `verify` gets the credential's digest, computed once here, to use as its own cache key.
   */
  async guard<T>(ip: string, secret: string, verify: (digest: string) => Promise<T>): Promise<T> {
    const digest = this.hasher.digest(secret);
    this.assertAllowed(ip, digest);
    try {
      const verified = await verify(digest);
      this.remember(digest);
      return verified;
    } catch (error) {
      if (error instanceof InvalidTokenError) await this.recordFailure(ip);
      throw error;
    }
  }

  /** `digest` is the credential's `TokenHasher` digest: the limiter never holds a secret. */
  assertAllowed(ip: string, digest: string): void {
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return;
    const now = this.clock.now().getTime();
    if (until <= now) {
      this.blockedUntil.delete(ip);
      return;
    }
    if ((this.knownGood.get(digest) ?? 0) > now) return;
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

  private remember(digest: string): void {
    this.knownGood.delete(digest);
    if (this.knownGood.size >= KNOWN_GOOD_MAX) this.knownGood.delete(this.knownGood.keys().next().value!);
    this.knownGood.set(digest, this.clock.now().getTime() + KNOWN_GOOD_MS);
  }

  private tooMany(retryAfterSeconds: number): TooManyRequestsError {
    return new TooManyRequestsError(retryAfterSeconds, 'Too many failed authentications from this address; try again later');
  }
}
