import { randomBytes } from 'node:crypto';
import { safeEqualDigest, TokenHasher } from '../../libs/personal-access-tokens/src/tokens/token-hasher';

// Its timing (a Welch t-test on the wall clock) is measured by bench/timing-safe-equal.ts, not here.
describe('safeEqualDigest', () => {
  const digest = new TokenHasher([randomBytes(32).toString('hex')]).digest('pat_example');

  it('answers like equality', () => {
    expect(safeEqualDigest(digest, Buffer.from(digest).toString())).toBe(true);
    expect(safeEqualDigest(digest, digest.slice(0, -1) + (digest.endsWith('0') ? '1' : '0'))).toBe(false);
    expect(safeEqualDigest(digest, digest.slice(1))).toBe(false);
    expect(safeEqualDigest(digest, '')).toBe(false);
    expect(safeEqualDigest('', '')).toBe(true);
    expect(safeEqualDigest('é', 'e\u0301')).toBe(false);
  });
});
