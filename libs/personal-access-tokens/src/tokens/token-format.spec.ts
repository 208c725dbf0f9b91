import fc from 'fast-check';
import { generateTokenSecret, hasValidTokenFormat } from './token-format';
import { TokenHasher } from './token-hasher';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('token format', () => {
  it('generates secrets of the documented shape that verify', () => {
    const secret = generateTokenSecret('pat_');
    expect(secret).toMatch(/^pat_[0-9A-Za-z]{38}$/);
    expect(hasValidTokenFormat(secret, 'pat_')).toBe(true);
  });

  it('round-trips for any prefix', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z]{1,8}_$/), (prefix) => hasValidTokenFormat(generateTokenSecret(prefix), prefix)));
  });

  it('rejects any single-character change', () => {
    const secret = generateTokenSecret('pat_');
    fc.assert(
      fc.property(fc.nat({ max: secret.length - 1 }), fc.constantFrom(...BASE62, '_', '-', ' '), (index, char) => {
        fc.pre(secret[index] !== char);
        const changed = secret.slice(0, index) + char + secret.slice(index + 1);
        return !hasValidTokenFormat(changed, 'pat_');
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects the wrong prefix, length or alphabet', () => {
    const secret = generateTokenSecret('pat_');
    expect(hasValidTokenFormat(secret, 'pats_')).toBe(false);
    expect(hasValidTokenFormat(secret + 'a', 'pat_')).toBe(false);
    expect(hasValidTokenFormat(secret.slice(0, -1), 'pat_')).toBe(false);
    expect(hasValidTokenFormat('pat_' + 'é'.repeat(38), 'pat_')).toBe(false);
  });

  it('never repeats in 100,000 secrets', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(generateTokenSecret('pat_'));
    expect(seen.size).toBe(100_000);
  });
});

describe('TokenHasher', () => {
  const current = 'c'.repeat(32);
  const previous = 'p'.repeat(32);

  it('digests under the current pepper first and accepts older ones', () => {
    const hasher = new TokenHasher([current, previous]);
    const [first, second] = hasher.candidateDigests('pat_x');
    expect(first).toBe(hasher.digest('pat_x'));
    expect(second).toBe(new TokenHasher([previous]).digest('pat_x'));
    expect(first).not.toBe(second);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses short or missing peppers', () => {
    expect(() => new TokenHasher([])).toThrow(/TOKEN_PEPPER/);
    expect(() => new TokenHasher(['short'])).toThrow(/32 characters/);
  });
});
