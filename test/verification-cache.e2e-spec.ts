import { TokenBookkeepingService } from '../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { sqlQueriesLogged } from './support/assertions';
import { SECOND } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';
const sqlLines = (t: TestApp) => sqlQueriesLogged(t).length;

describe.each(testDatabases())('verification cache on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, { verificationCacheTtlSeconds: 30 });
    admin = await t.loginAdmin();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    alice = await t.createUser('member');
  });

  const use = async (token: string) => (await t.get('/user/me', { token })).status;

  it('serves a repeated PAT request without asking the database', async () => {
    const { token } = await t.mintToken(alice.session, { scopes: ['user:read'] });
    expect(await use(token)).toBe(200);
    await t.app.get(TokenBookkeepingService).settled(); // the last-used write, made after the answer
    const before = sqlLines(t);
    expect(await use(token)).toBe(200);
    expect(sqlLines(t)).toBe(before);
  });

  it('verifies concurrent first requests for one token with one lookup', async () => {
    const { token } = await t.mintToken(alice.session, { scopes: ['user:read'] });
    const lookups = () => t.logs.filter((line) => line.includes('"context":"SQL"') && line.includes('scope_granted')).length;
    const before = lookups();
    const statuses = await Promise.all(Array.from({ length: 20 }, () => use(token)));
    expect(statuses).toEqual(Array(20).fill(200));
    expect(lookups() - before).toBe(1);
  });

  it.each([
    ['revoke', (id: string) => t.post(`${BASE}/${id}/revoke`, {}, { token: alice.session })],
    ['delete', (id: string) => t.delete(`${BASE}/${id}`, { token: alice.session })],
    ['removing its scopes', (id: string) => t.delete(`${BASE}/${id}/scopes`, { token: alice.session })],
    ['replacing its scopes', (id: string) => t.patch(`${BASE}/${id}`, { scopes: ['reports:read'] }, { token: alice.session })],
    ['removing one scope', (id: string) => t.delete(`${BASE}/${id}/scopes/user:read`, { token: alice.session })],
    ['rotation', (id: string) => t.patch(`${BASE}/${id}/rotate`, {}, { token: alice.session })],
    ['deactivating the owner', () => t.patch(`/admin/users/${alice.id}`, { active: false }, { token: admin })],
  ])('forgets a cached token at once on %s', async (_change, change) => {
    const { token, id } = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '30d' });
    expect(await use(token)).toBe(200);
    expect(await use(token)).toBe(200);
    const response = await change(id);
    expect(response.status).toBeLessThan(300);
    expect([401, 403]).toContain(await use(token));
  });

  it('forgets a cached token at once when its owner is downgraded', async () => {
    const { token } = await t.mintToken(alice.session, { scopes: [`personal_access_tokens:write`, 'user:read'], expiresIn: '30d' });
    const create = (name: string) => t.post(BASE, { name, scopes: ['user:read'], expiresIn: '1d' }, { token });
    expect((await create('before')).status).toBe(201);
    expect((await t.patch(`/admin/users/${alice.id}`, { role: 'viewer' }, { token: admin })).status).toBe(200);
    expect((await create('after')).status).toBe(403);
  });

  it('still refuses a cached token the instant it expires', async () => {
    const { token } = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '1h' });
    expect(await use(token)).toBe(200);
    t.clock.advance(3600 * SECOND);
    expect(await use(token)).toBe(401);
  });
});

const mariadb = testDatabases().filter((kind) => kind.name === 'mariadb');
(mariadb.length ? describe.each(mariadb) : describe.skip.each(testDatabases()))('staleness across instances on $name', (kind) => {
  it('another instance sees a revocation within the configured TTL, never later', async () => {
    const instances = await TestApp.startInstances(kind, 2, { verificationCacheTtlSeconds: 5 });
    const [a, b] = instances.apps;
    try {
      const user = await a.createUser('member');
      const { token, id } = await a.mintToken(user.session, { scopes: ['user:read'] });
      expect((await b.get('/user/me', { token })).status).toBe(200);
      await a.post(`${BASE}/${id}/revoke`, {}, { token: user.session });
      expect((await a.get('/user/me', { token })).status).toBe(401);
      // b cached it before the revocation: it may accept it until its TTL runs out...
      b.clock.advance(4 * SECOND);
      expect((await b.get('/user/me', { token })).status).toBe(200);
      // ...and not a moment longer.
      b.clock.advance(1 * SECOND);
      expect((await b.get('/user/me', { token })).status).toBe(401);
    } finally {
      await instances.close();
    }
  });
});
