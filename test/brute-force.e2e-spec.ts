import { TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';

const UNKNOWN = 'pat_0000000000000000000000000000000000000000';
const limit = { limit: 3, windowSeconds: 60 };

describe.each(testDatabases())('failed authentication limits on $name', (database) => {
  let t: TestApp;
  let owner: string;

  beforeAll(async () => {
    t = await TestApp.start(database, { failedAuthLimit: limit });
    const user = await t.createUser('member');
    owner = (await t.mintToken(user.session, { scopes: ['user:read'] })).token;
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After after too many failures from one IP, without locking the owner out elsewhere', async () => {
    for (let i = 0; i < 3; i++) expect((await t.get('/user/me', { token: UNKNOWN, ip: '203.0.113.1' })).status).toBe(401);
    const limited = await t.get('/user/me', { token: UNKNOWN, ip: '203.0.113.1' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Even a right guess from that address is refused now...
    expect((await t.get('/user/me', { token: owner, ip: '203.0.113.1' })).status).toBe(429);
    // ...while the owner, elsewhere, is not affected.
    expect((await t.get('/user/me', { token: owner, ip: '198.51.100.7' })).status).toBe(200);
    t.clock.advance(61_000);
    expect((await t.get('/user/me', { token: owner, ip: '203.0.113.1' })).status).toBe(200);
  });

  it('is not reset by a forged X-Forwarded-For when no proxy is trusted', async () => {
    for (let i = 0; i < 4; i++) {
      await t.get('/user/me', { token: UNKNOWN, ip: '203.0.113.2', headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    }
    const limited = await t.get('/user/me', { token: UNKNOWN, ip: '203.0.113.2', headers: { 'x-forwarded-for': '10.9.9.9' } });
    expect(limited.status).toBe(429);
  });
});

describe.each(testDatabases())('behind a trusted proxy on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start(database, { failedAuthLimit: limit, trustProxy: ['127.0.0.1'] });
  });
  afterAll(() => t.close());

  it('counts the client address the proxy reports', async () => {
    const viaProxy = (client: string) => t.get('/user/me', { token: UNKNOWN, ip: '127.0.0.1', headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < 3; i++) expect((await viaProxy('192.0.2.10')).status).toBe(401);
    expect((await viaProxy('192.0.2.10')).status).toBe(429);
    expect((await viaProxy('192.0.2.11')).status).toBe(401);
  });
});

const mariadb = testDatabases().filter((kind) => kind.name === 'mariadb');
(mariadb.length ? describe.each(mariadb) : describe.skip.each(testDatabases()))('two instances on one $name database', (kind) => {
  it('share the failure count, and both answer while alive at once', async () => {
    const instances = await TestApp.startInstances(kind, 2, { failedAuthLimit: limit });
    const [first, second] = instances.apps;
    try {
      const user = await first.createUser('member');
      const token = (await first.mintToken(user.session, { scopes: ['user:read'] })).token;
      expect((await second.get('/user/me', { token })).status).toBe(200);
      expect((await first.get('/user/me', { token: UNKNOWN, ip: '203.0.113.9' })).status).toBe(401);
      expect((await second.get('/user/me', { token: UNKNOWN, ip: '203.0.113.9' })).status).toBe(401);
      expect((await first.get('/user/me', { token: UNKNOWN, ip: '203.0.113.9' })).status).toBe(401);
      // The fourth failure, on either instance, is over the shared limit.
      expect((await second.get('/user/me', { token: UNKNOWN, ip: '203.0.113.9' })).status).toBe(429);
      expect((await first.get('/user/me', { token, ip: '198.51.100.1' })).status).toBe(200);
    } finally {
      await instances.close();
    }
  });
});
