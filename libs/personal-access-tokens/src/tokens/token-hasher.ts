import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Token digests: HMAC-SHA256 of the secret keyed with the server pepper. Only digests are stored.
 * The first pepper is current; the others are older ones still accepted, so rotating the pepper
 * does not break live tokens (a token found under an old pepper is re-keyed on use).
 */
export class TokenHasher {
  constructor(private readonly peppers: readonly string[]) {
    if (peppers.length === 0 || peppers.some((p) => p.length < 32)) {
      throw new Error('Token peppers must be at least 32 characters long; configure TOKEN_PEPPER');
    }
  }

  digest(secret: string): string {
    return createHmac('sha256', this.peppers[0]).update(secret).digest('hex');
  }

  /** The digest under every accepted pepper, current first. */
  candidateDigests(secret: string): string[] {
    return this.peppers.map((pepper) => createHmac('sha256', pepper).update(secret).digest('hex'));
  }
}

/**
 * Compares two digests (or any two secrets) in time that does not depend on where they differ.
 * Unequal lengths answer false at once: a digest's length is public, its content is not.
 *
 * @example
 * safeEqualDigest(hasher.digest(secret), row.digest); // true only for the same digest
 */
export function safeEqualDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
