import type { ClaimConditions } from './token-exchange-policy.entity';

/** Claims whose values are compared; nested or non-string claims never match (fail closed). */
export type Claims = Record<string, unknown>;

export interface ConditionOutcome {
  /** The claims that met their condition, with the token's values (for the audit trail). */
  matched: Record<string, string>;
  /** The claims that did not, by name. */
  failed: string[];
}

function matchesPattern(value: string, pattern: string): boolean {
  if (!pattern.includes('*')) return value === pattern;
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's').test(value);
}

/**
 * Checks every condition of a trust policy against a token's claims: a condition is a string, or a
 * list of strings any of which may match; `*` matches any run of characters (`refs/tags/v*`).
 *
 * @example
 * evaluateConditions({ repository: 'acme/api', ref: 'refs/heads/main' }, { repository: 'acme/api', ref: ['refs/heads/main', 'refs/tags/v*'] })
 * // { matched: { repository: 'acme/api', ref: 'refs/heads/main' }, failed: [] }
 */
export function evaluateConditions(claims: Claims, conditions: ClaimConditions): ConditionOutcome {
  const outcome: ConditionOutcome = { matched: {}, failed: [] };
  for (const [claim, expected] of Object.entries(conditions)) {
    const value = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
    const patterns = Array.isArray(expected) ? expected : [expected];
    if (typeof value === 'string' && patterns.some((pattern) => matchesPattern(value, pattern))) outcome.matched[claim] = value;
    else outcome.failed.push(claim);
  }
  return outcome;
}
