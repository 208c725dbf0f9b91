import { BadRequestError, ForbiddenError, ValidationFailedError } from '../core/domain-error';
import { TokenPolicy } from '../core/personal-access-tokens.options';
import { PrincipalToken } from '../scopes/principal';

/** The lifetimes a client may name instead of a date (GitLab's and Lightdash's choices). */
export const EXPIRES_IN_CHOICES = ['1h', '1d', '7d', '30d', '60d', '90d'] as const;
export type ExpiresIn = (typeof EXPIRES_IN_CHOICES)[number];

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const DURATIONS: Record<ExpiresIn, number> = { '1h': HOUR, '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '60d': 60 * DAY, '90d': 90 * DAY };

export interface ExpiryRequest {
  expiresIn?: ExpiresIn;
  /** `null` asks for a token that never expires; `undefined` for the default lifetime. */
  expiresAt?: Date | null;
}

/**
 * When a new (or newly rotated/regenerated) secret expires, by the policy. The one place an expiry
 * request becomes a date: it re-checks its input (library callers such as `TokensService.mint`
 * bypass the HTTP validation). That a PAT caller's own expiry bounds it is `SecretIssuancePolicy`'s rule.
 */
export function resolveExpiry(request: ExpiryRequest, policy: TokenPolicy, now: Date): Date | null {
  assertReadable(request);
  if (request.expiresIn !== undefined && request.expiresAt !== undefined) {
    throw new BadRequestError('expiry_conflict', 'Give either expiresIn or expiresAt, not both', [
      { field: 'expiresAt', reason: 'cannot be combined with expiresIn' },
    ]);
  }
  const maxDate = new Date(now.getTime() + policy.maxLifetimeDays * DAY);
  let expiresAt: Date | null;
  if (request.expiresIn !== undefined) {
    expiresAt = new Date(now.getTime() + DURATIONS[request.expiresIn]);
  } else if (request.expiresAt === null) {
    if (!policy.allowNoExpiry) {
      throw new BadRequestError('expiry_required', 'Tokens must expire: the policy does not allow tokens without an expiry date', [
        { field: 'expiresAt', reason: 'must be a date' },
      ]);
    }
    expiresAt = null;
  } else if (request.expiresAt !== undefined) {
    expiresAt = request.expiresAt;
    if (expiresAt.getTime() <= now.getTime()) {
      throw new BadRequestError('expiry_in_past', 'expiresAt must be in the future', [
        { field: 'expiresAt', reason: 'must be in the future' },
      ]);
    }
  } else {
    const days = Math.min(policy.defaultLifetimeDays, policy.maxLifetimeDays);
    expiresAt = new Date(now.getTime() + days * DAY);
  }
  if (expiresAt && expiresAt > maxDate) {
    throw new BadRequestError('expiry_too_far', `Tokens may live at most ${policy.maxLifetimeDays} days`, [
      { field: 'expiresAt', reason: `must be within ${policy.maxLifetimeDays} days` },
    ]);
  }
  return expiresAt;
}

/** A request made with a PAT never gets a secret that outlives that token; an unreadable caller expiry counts as past. */
export function assertWithinCallerExpiry(expiresAt: Date | null, callerToken: PrincipalToken | undefined): void {
  if (!callerToken || callerToken.expiresAt === null) return;
  const callerExpiry = callerToken.expiresAt.getTime();
  // Written so that an unreadable caller expiry (NaN) refuses too.
  if (expiresAt === null || !(expiresAt.getTime() <= callerExpiry)) {
    throw new ForbiddenError('token_escalation', 'A token cannot create or renew a token that outlives itself');
  }
}

function assertReadable(request: ExpiryRequest): void {
  if (request.expiresIn !== undefined && !Object.hasOwn(DURATIONS, String(request.expiresIn))) {
    throw new ValidationFailedError([
      { field: 'expiresIn', reason: `must be one of the following values: ${EXPIRES_IN_CHOICES.join(', ')}` },
    ]);
  }
  const { expiresAt } = request;
  if (expiresAt !== undefined && expiresAt !== null && !(expiresAt instanceof Date && !Number.isNaN(expiresAt.getTime()))) {
    throw new ValidationFailedError([{ field: 'expiresAt', reason: 'must be a valid date' }]);
  }
}
