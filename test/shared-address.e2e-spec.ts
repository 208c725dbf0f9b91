import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';
import { sqlQueriesLogged } from './support/assertions';

const NAT = '203.0.113.50';
const GATEWAY = '203.0.113.60';
const limit = 5;

/** A badly behaved client behind a shared address must not lock its neighbours' valid tokens out. */
describe.each(testDatabases())('the failed-auth limit behind a shared address, on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, { failedAuthLimit: { limit, windowSeconds: 300 } });
    alice = await t.createUser('member');
  });
  afterAll(() => t.close());

  /** A well-formed token that does not exist (right checksum, so it costs a lookup), as a guesser would send. */
  const guess = async () => {
    const real = await t.mintToken(alice.session, { scopes: ['user:read'] });
    await t.delete(`/user/me/personal-access-tokens/${real.id}`, { token: alice.session });
    return real.token as string;
  };

  it('valid tokens in use behind the address keep working while the guesser is refused', async () => {
    const neighbour = (await t.mintToken(alice.session, { scopes: ['user:read'] })).token;
    expect((await t.get('/user/me', { token: neighbour, ip: NAT })).status).toBe(200);
    const guesses = await Promise.all(Array.from({ length: limit + 2 }, guess));

    for (const wrong of guesses.slice(0, limit)) expect((await t.get('/user/me', { token: wrong, ip: NAT })).status).toBe(401);
    expect((await t.get('/user/me', { token: guesses[limit], ip: NAT })).status).toBe(429);

    // The neighbour's token, verified here a moment ago, still works from the blocked address.
    const valid = await t.get('/user/me', { token: neighbour, ip: NAT });
    expect(valid.status).toBe(200);
    expect(valid.body.id).toBe(alice.id);
    // Further guesses are refused before any query.
    const before = sqlQueriesLogged(t).length;
    expect((await t.get('/user/me', { token: guesses[limit + 1], ip: NAT })).status).toBe(429);
    expect(sqlQueriesLogged(t).length).toBe(before);
  });

  it('a remembered token is still verified in full: once revoked it is refused, and that counts', async () => {
    const ip = '203.0.113.51';
    const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
    expect((await t.get('/user/me', { token: token.token, ip })).status).toBe(200);
    for (let i = 0; i < limit + 1; i++) await t.get('/user/me', { token: 'pat_0000000000000000000000000000000000000000', ip });
    expect((await t.get('/user/me', { token: 'pat_0000000000000000000000000000000000000000', ip })).status).toBe(429);
    expect((await t.post(`/user/me/personal-access-tokens/${token.id}/revoke`, {}, { token: alice.session })).status).toBe(200);
    // Looked up (not refused at the gate), found revoked, counted: the address is over its limit, so 429.
    const before = sqlQueriesLogged(t).length;
    const refused = await t.get('/user/me', { token: token.token, ip });
    expect(refused.status).toBe(429);
    expect(sqlQueriesLogged(t).length).toBeGreaterThan(before);
    // From an address in good standing it is the plain 401 of a revoked token.
    expect((await t.get('/user/me', { token: token.token, ip: '198.51.100.51' })).status).toBe(401);
  });

  it('a token never verified here waits out the window, like a guess (documented trade-off)', async () => {
    const ip = '203.0.113.52';
    const fresh = (await t.mintToken(alice.session, { scopes: ['user:read'] })).token;
    for (let i = 0; i < limit + 1; i++) await t.get('/user/me', { token: 'pat_0000000000000000000000000000000000000000', ip });
    expect((await t.get('/user/me', { token: fresh, ip })).status).toBe(429);
    t.clock.advance(301_000);
    expect((await t.get('/user/me', { token: fresh, ip })).status).toBe(200);
  });

  it('GET /auth/verify has the same protection: guesses are limited, known tokens pass', async () => {
    const known = (await t.mintToken(alice.session, { scopes: ['user:read'] })).token;
    expect((await t.get('/auth/verify', { token: known, ip: GATEWAY })).status).toBe(200);
    const guesses = await Promise.all(Array.from({ length: limit + 1 }, guess));
    for (const wrong of guesses.slice(0, limit)) expect((await t.get('/auth/verify', { token: wrong, ip: GATEWAY })).status).toBe(401);
    const limited = await t.get('/auth/verify', { token: guesses[limit], ip: GATEWAY });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.code).toBe('rate_limited');

    const passed = await t.get('/auth/verify', { token: known, ip: GATEWAY });
    expect(passed.status).toBe(200);
    expect(passed.headers['x-user-id']).toBe(alice.id);
  });
});
