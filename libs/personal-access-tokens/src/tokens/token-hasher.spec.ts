import { createHmac, randomBytes } from 'node:crypto';
import { TokenHasher } from './token-hasher';

describe('TokenHasher', () => {
  const hmac = (pepper: string, secret: string) => createHmac('sha256', pepper).update(secret).digest('hex');
  // Peppers shorter than, as long as and longer than SHA-256's 64-byte block, and multi-byte ones.
  const peppers = [
    'p'.repeat(32),
    randomBytes(24).toString('base64'),
    'q'.repeat(64),
    'r'.repeat(65),
    randomBytes(48).toString('base64'),
    'é'.repeat(33),
    'ключ-'.repeat(14),
  ];
  const secrets = ['', 'pat_' + 'A'.repeat(40), randomBytes(30).toString('base64url'), 'ä😀\u0000x', 'x'.repeat(300)];

  it.each(peppers)('digests as HMAC-SHA256 keyed with the pepper (%s)', (pepper) => {
    const hasher = new TokenHasher([pepper]);
    for (const secret of secrets) expect(hasher.digest(secret)).toBe(hmac(pepper, secret));
  });

  it('answers every accepted pepper, current first', () => {
    const [current, previous] = [peppers[0], peppers[3]];
    const secret = 'pat_' + randomBytes(20).toString('hex');
    expect(new TokenHasher([current, previous]).candidateDigests(secret)).toEqual([hmac(current, secret), hmac(previous, secret)]);
  });

  it('refuses a pepper shorter than 32 characters', () => {
    expect(() => new TokenHasher(['short'])).toThrow(/at least 32 characters/);
  });
});
