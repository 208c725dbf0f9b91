import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, In, Repository } from 'typeorm';
import { InvalidTokenError } from '../core/auth.errors';
import { Clock } from '../core/clock';
import { ValidationFailedError } from '../core/domain-error';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { UnitOfWork } from '../core/unit-of-work';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';
import { effectiveStatus, PersonalAccessToken } from './personal-access-token.entity';
import { RetiredTokenDigest } from './retired-token-digest.entity';

/** What the API shows of a rotation's overlap: only while it lasts. */
export function overlapOf(
  token: Pick<PersonalAccessToken, 'rotationOverlapEndsAt' | 'previousSecretLastUsedAt'>,
  now: Date,
): { rotationOverlapEndsAt: Date | null; previousSecretLastUsedAt: Date | null } {
  const endsAt = token.rotationOverlapEndsAt ?? null;
  if (!endsAt || !(endsAt.getTime() > now.getTime())) return { rotationOverlapEndsAt: null, previousSecretLastUsedAt: null };
  return { rotationOverlapEndsAt: endsAt, previousSecretLastUsedAt: token.previousSecretLastUsedAt ?? null };
}

/** A rotated-away secret accepted during its overlap. */
export interface PreviousSecretUse {
  token: PersonalAccessToken;
  scopes: string[];
  /** The overlap's end: a use at or after it is refused, the verification cache included. */
  usableUntil: Date;
}

/**
 * Rotation with an overlap: the secret a rotation replaces may keep working for a bounded time
 * (`overlapSeconds`, at most the policy's `maxRotationOverlapSeconds`), so that a running job can
 * pick up the new one. The old secret's digest is kept with the other retired digests; it works
 * while the token is active, the overlap has not ended (`now < rotation_overlap_ends_at`), and it
 * is the digest the token's latest rotation retired (a second rotation, or a regeneration, ends
 * the first overlap). Afterwards it is a retired secret like any other: presenting it revokes the
 * token (reuse detection). Its uses during the overlap are recorded on the token, so its owner
 * sees whether anything still runs with it.
 */
@Injectable()
export class RotationOverlap implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RotationOverlap.name);
  /** When this instance last wrote a previous-secret use per token. */
  private readonly writes = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    @InjectRepository(PersonalAccessTokenScope) private readonly scopes: Repository<PersonalAccessTokenScope>,
    @InjectRepository(RetiredTokenDigest) private readonly retired: Repository<RetiredTokenDigest>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /** The end of the overlap a rotation at `now` asks for; null for none. Beyond the policy: 400 naming the field. */
  endFor(overlapSeconds: number | undefined, now: Date): Date | null {
    const seconds = overlapSeconds ?? 0;
    const max = this.options.policy.maxRotationOverlapSeconds;
    if (seconds > max) {
      throw new ValidationFailedError([
        {
          field: 'overlapSeconds',
          reason: max === 0 ? 'rotation overlaps are turned off by the policy' : `must not be greater than ${max} (the policy's maximum)`,
        },
      ]);
    }
    return seconds > 0 ? new Date(now.getTime() + seconds * 1000) : null;
  }

  /** The token a rotated-away secret still opens (its overlap lasts), or null: the caller then treats it as reused. */
  async accept(digests: string[], now: Date): Promise<PreviousSecretUse | null> {
    const retired = await this.retired.findOne({ where: { digest: In(digests) } });
    if (!retired) return null;
    const token = await this.tokens.findOne({ where: { id: retired.tokenId } });
    const endsAt = token?.rotationOverlapEndsAt;
    if (!token || !endsAt || !(now.getTime() < endsAt.getTime())) return null;
    if (token.rotatedAt?.getTime() !== retired.retiredAt.getTime()) return null;
    // In its overlap the old secret is still the token's own: a token suspended (or ended) meanwhile
    // refuses it as it refuses the current one, not as reuse, which would revoke a paused token.
    if (effectiveStatus(token, now) !== 'active') {
      throw new InvalidTokenError(this.options.realm, { userId: token.userId, tokenId: token.id, tokenName: token.name });
    }
    const scopes = (await this.scopes.find({ where: { tokenId: token.id } })).map((row) => row.scope).sort();
    return { token, scopes, usableUntil: endsAt };
  }

  /** Records a use of the old secret (at most once per `lastUsedWriteIntervalSeconds` per token), in the background. */
  recordUse(tokenId: string): void {
    const now = this.clock.now();
    const interval = this.options.lastUsedWriteIntervalSeconds * 1000;
    const last = this.writes.get(tokenId);
    if (last !== undefined && now.getTime() - last < interval) return;
    if (this.writes.size > 10_000) this.writes.clear();
    this.writes.set(tokenId, now.getTime());
    const staleBefore = new Date(now.getTime() - interval);
    const write: Promise<void> = this.unitOfWork
      .run(
        (manager) =>
          manager
            .createQueryBuilder()
            .update(PersonalAccessToken)
            .set({ previousSecretLastUsedAt: now })
            .where('id = :tokenId', { tokenId })
            .andWhere(
              new Brackets((b) =>
                b.where('previous_secret_last_used_at IS NULL').orWhere('previous_secret_last_used_at < :staleBefore', { staleBefore }),
              ),
            )
            .execute(),
        { bookkeeping: true },
      )
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ message: 'Could not record a use of a rotated-away secret', error: String(error) }),
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Forgets the write throttle of a token that was just rotated (its next old-secret use is new news). */
  forget(tokenId: string): void {
    this.writes.delete(tokenId);
  }

  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.settled();
  }
}
