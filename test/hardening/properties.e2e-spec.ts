import fc from 'fast-check';
import { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { rawGet, rawRequest, recordFigures } from './support/hardening';
import { isErrorShape } from '../support/assertions';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The token format's checksum, recomputed here so that mutants can pass the offline check. */
function withValidChecksum(secret: string): string {
  const payload = secret.slice(0, -6);
  let value = crc32(payload);
  let encoded = '';
  for (let i = 0; i < 6; i++) {
    encoded = BASE62[value % 62] + encoded;
    value = Math.floor(value / 62);
  }
  return payload + encoded;
}

const schemes = fc.constantFrom('Bearer ', 'bearer ', 'ApiKey ', 'BEARER ', '', 'Bearer  ', 'Basic ');

/** Properties over arbitrary credentials: only ever 400 or 401, never 5xx, never 200. */
describe.each(testDatabases())('credential properties on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let port: number;
  let current: string;
  let requests = 0;

  beforeAll(async () => {
    t = await TestApp.start(database, { failedAuthLimit: { limit: 1_000_000, windowSeconds: 60 } });
    alice = await t.createUser('member');
    const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '7d' });
    t.clock.advance(3601 * 1000);
    const rotated = await t.patch(`/user/me/personal-access-tokens/${token.id}/rotate`, {}, { token: alice.session });
    expect(rotated.status).toBe(200);
    current = rotated.body.token;
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    recordFigures(`properties-${database.name}`, { requests });
    await t.close();
  });

  const refusedInOneShape = async (authorization: string) => {
    requests++;
    let response;
    try {
      response = await t.get('/user/me', { headers: { authorization } });
    } catch (error) {
      // Only inject refusing to build the request (a header character HTTP forbids) means nothing
      // reached the app; anything else (the app throwing, a body that is not JSON) is a failure.
      if ((error as { code?: string }).code === 'ERR_INVALID_CHAR') return true;
      throw error;
    }
    return [400, 401].includes(response.status) && isErrorShape(response.body, response.status);
  };

  it('arbitrary strings as credentials: 400 or 401 in the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(schemes, fc.string({ maxLength: 400 }), async (scheme, value) => refusedInOneShape(scheme + value)),
      { numRuns: 300 },
    );
  });

  it('arbitrary unicode and look-alike tokens: 400 or 401', async () => {
    const lookAlike = fc.stringMatching(/^pat[s]?_[0-9A-Za-z]{38}$/);
    await fc.assert(
      fc.asyncProperty(schemes, fc.oneof(fc.string({ unit: 'grapheme', maxLength: 100 }), lookAlike), async (scheme, value) =>
        refusedInOneShape(scheme + value),
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes as the header value, over a real socket: 400 or 401, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        requests++;
        const header = Buffer.concat([Buffer.from('Authorization: Bearer '), Buffer.from(bytes)]);
        const response = await rawRequest(port, rawGet('/user/me', [header]));
        return [400, 401].includes(response.status);
      }),
      { numRuns: 150 },
    );
  });

  it('the rotated secret with any one character changed is refused, checksum fixed up or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: current.length - 1 }),
        fc.constantFrom(...BASE62.split(''), '_', '-', '.', '~', '+', '/'),
        fc.boolean(),
        async (index, replacement, fixChecksum) => {
          fc.pre(current[index] !== replacement);
          let mutant = current.slice(0, index) + replacement + current.slice(index + 1);
          if (fixChecksum && index < current.length - 6) mutant = withValidChecksum(mutant);
          fc.pre(mutant !== current);
          requests++;
          const response = await t.get('/user/me', { token: mutant });
          return [400, 401].includes(response.status) && isErrorShape(response.body, response.status);
        },
      ),
      { numRuns: 300 },
    );
    // None of that touched the real token.
    expect((await t.get('/user/me', { token: current })).status).toBe(200);
  });
});
