import { DataSource } from 'typeorm';
import { AuditWriter } from '../support/library-internals';
import { HOUR, SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const ADMIN_BASE = '/admin/personal-access-tokens';
const INTROSPECT = '/personal-access-tokens/introspect';

describe.each(testDatabases())('suspending and resuming tokens on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let gateway: string;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      // Nothing listens there: the outbox rows are what this suite looks at.
      webhook: { url: 'http://127.0.0.1:41501/hooks', secret: 'webhook-secret-for-tests-0123456789abcdef', maxAttempts: 1 },
    });
    admin = await t.loginAdmin();
    gateway = (await t.mintToken(admin, { name: 'gateway', scopes: ['tokens:introspect'] })).token;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    alice = await t.createUser('member');
    // A fresh administrator session: tests move the clock on.
    admin = await t.loginAdmin();
  });

  const mint = (body: Record<string, unknown> = {}) => t.mintToken(alice.session, { scopes: ['personal_access_tokens:read'], ...body });
  const suspend = (id: string, token = alice.session) => t.post(`${BASE}/${id}/suspend`, {}, { token });
  const resume = (id: string, token = alice.session) => t.post(`${BASE}/${id}/resume`, {}, { token });
  const works = async (token: string) => (await t.get(`${BASE}/self`, { token })).status === 200;

  it('a suspended token is refused everywhere, and works again once resumed with the same expiry', async () => {
    const token = await mint({ expiresIn: '30d' });
    expect(await works(token.token)).toBe(true); // now in the verification cache

    const suspended = await suspend(token.id);
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', suspendedAt: t.clock.now().toISOString(), suspendedBy: alice.id });

    const refused = await t.get(`${BASE}/self`, { token: token.token });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    expect((await t.get('/auth/verify', { token: token.token })).status).toBe(401);
    expect((await t.post(INTROSPECT, { token: token.token }, { token: gateway })).body).toEqual({ active: false });

    // The lists tell suspended from active.
    const listed = async (status: string) =>
      (await t.get(`${BASE}?status=${status}`, { token: alice.session })).body.items.map((item: any) => item.id);
    expect(await listed('suspended')).toEqual([token.id]);
    expect(await listed('active')).not.toContain(token.id);

    t.clock.advance(HOUR);
    const resumed = await resume(token.id);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'active', suspendedAt: null, suspendedBy: null, expiresAt: token.expiresAt });
    expect(await works(token.token)).toBe(true);
    expect((await t.post(INTROSPECT, { token: token.token }, { token: gateway })).body.active).toBe(true);
  });

  it('suspending twice or resuming an active token changes nothing; rotate and regenerate wait for resume', async () => {
    const token = await mint({ expiresIn: '7d' });
    const first = await suspend(token.id);
    t.clock.advance(SECOND);
    const second = await suspend(token.id);
    expect(second.status).toBe(200);
    expect(second.body.suspendedAt).toBe(first.body.suspendedAt);
    for (const [method, path] of [
      ['PATCH', 'rotate'],
      ['POST', 'regenerate'],
    ]) {
      const refused = await t.request(method, `${BASE}/${token.id}/${path}`, { token: alice.session, body: {} });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/suspended token cannot be .*resume it first/);
    }
    expect((await resume(token.id)).body.status).toBe('active');
    const again = await resume(token.id);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('active');
  });

  it('suspending or resuming a revoked or expired token is a 409 in the error shape', async () => {
    const revoked = await mint();
    await t.post(`${BASE}/${revoked.id}/revoke`, {}, { token: alice.session });
    const expiring = await mint({ expiresIn: '1h' });
    await suspend(expiring.id);
    t.clock.advance(2 * HOUR);
    for (const response of [await suspend(revoked.id), await resume(revoked.id), await suspend(expiring.id), await resume(expiring.id)]) {
      expect(response.status).toBe(409);
      expect(response.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        code: 'token_state_conflict',
        message: expect.stringMatching(/^A (revoked|expired) token cannot be (suspended|resumed)$/),
        requestId: expect.any(String),
      });
    }
    // A token that expired while suspended reads expired: resuming would not bring it back.
    expect((await t.get(`${BASE}/${expiring.id}`, { token: alice.session })).body.status).toBe('expired');
  });

  it("another user's token is a 404; a malformed id a 400; a token may suspend itself", async () => {
    const bob = await t.createUser('member');
    const token = await mint();
    expect((await suspend(token.id, bob.session)).status).toBe(404);
    expect((await resume(token.id, bob.session)).status).toBe(404);
    expect((await t.get(`${BASE}/${token.id}`, { token: alice.session })).body.status).toBe('active');
    expect((await suspend('not-a-uuid')).status).toBe(400);

    const itself = await mint({ scopes: [] });
    expect((await suspend(itself.id, itself.token)).status).toBe(200);
    expect(await works(itself.token)).toBe(false);
  });

  it('an administrator suspends anyone’s token; only an administrator resumes it', async () => {
    const token = await mint();
    const suspended = await t.post(`${ADMIN_BASE}/${token.id}/suspend`, {}, { token: admin });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect(await works(token.token)).toBe(false);
    const byOwner = await resume(token.id);
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.code).toBe('suspended_by_administrator');
    expect(await works(token.token)).toBe(false);
    expect((await t.post(`${ADMIN_BASE}/${token.id}/resume`, {}, { token: admin })).body.status).toBe('active');
    expect(await works(token.token)).toBe(true);
    // A member is no administrator.
    expect((await t.post(`${ADMIN_BASE}/${token.id}/suspend`, {}, { token: alice.session })).status).toBe(403);
  });

  it('is in the owner’s audit trail and announced on the webhook', async () => {
    const token = await mint();
    await suspend(token.id);
    await resume(token.id);
    await t.post(`${ADMIN_BASE}/${token.id}/suspend`, {}, { token: admin });
    await t.app.get(AuditWriter).flush();
    const trail = (await t.get(`/user/me/audit-events?tokenId=${token.id}&limit=50`, { token: alice.session })).body.items;
    const actions = trail.map((event: any) => event.action);
    // The owner's own requests, and what an administrator did to the token.
    expect(actions).toEqual(
      expect.arrayContaining(['personal_access_token.suspend', 'personal_access_token.resume', 'personal_access_token.suspended']),
    );
    const adminTrail = (await t.get(`/admin/audit-events?tokenId=${token.id}&limit=50`, { token: admin })).body.items;
    expect(adminTrail.map((event: any) => event.action)).toContain('personal_access_token.admin_suspend');
    const deliveries = await t.app
      .get(DataSource)
      .query(`SELECT event_type, payload FROM webhook_deliveries WHERE event_type IN ('token.suspended', 'token.resumed')`);
    const mine = deliveries.map((row: any) => JSON.parse(row.payload)).filter((payload: any) => payload.token.id === token.id);
    expect(mine.map((payload: any) => [payload.type, payload.details])).toEqual(
      expect.arrayContaining([
        ['token.suspended', {}],
        ['token.resumed', {}],
        ['token.suspended', { by: 'admin' }],
      ]),
    );
    expect(mine).toHaveLength(3);
  });

  it('after the suspend answers, no request with the token succeeds (concurrent uses)', async () => {
    const token = await mint();
    const results: { startedAt: number; status: number }[] = [];
    let stop = false;
    // Bounded, and yielding to the event loop between requests (a cached verification needs no I/O).
    const worker = async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const startedAt = performance.now();
        const { status } = await t.get(`${BASE}/self`, { token: token.token });
        results.push({ startedAt, status });
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const workers = Array.from({ length: 8 }, worker);
    await until(() => results.length >= 20);
    const answer = await suspend(token.id);
    const suspendedAt = performance.now();
    expect(answer.status).toBe(200);
    const after = () => results.filter((r) => r.startedAt > suspendedAt);
    await until(() => after().length >= 40);
    stop = true;
    await Promise.all(workers);
    expect(results.filter((r) => r.startedAt < suspendedAt).some((r) => r.status === 200)).toBe(true);
    expect(after().length).toBeGreaterThanOrEqual(40);
    expect(after().filter((r) => r.status !== 401)).toEqual([]);
  });
});

// Instances share a database only on MariaDB (each SQLite test database is in one process's memory).
const mariadb = testDatabases().filter((kind) => kind.name === 'mariadb');
(mariadb.length ? describe.each(mariadb) : describe.skip.each(testDatabases()))('suspension across instances on $name', (database) => {
  it('another instance refuses the token within the verification cache lifetime', async () => {
    const ttlSeconds = 2;
    const { apps, close } = await TestApp.startInstances(database, 2, { verificationCacheTtlSeconds: ttlSeconds });
    try {
      const [a, b] = apps;
      const user = await a.createUser('member');
      const token = await a.mintToken(user.session, { scopes: [] });
      const self = (app: TestApp) => app.get(`${BASE}/self`, { token: token.token });
      expect((await self(b)).status).toBe(200); // cached on b
      expect((await a.post(`${BASE}/${token.id}/suspend`, {}, { token: user.session })).status).toBe(200);
      expect((await self(a)).status).toBe(401);
      // b's cached entry ages out within the bound, and then b asks the database.
      b.clock.advance(ttlSeconds * SECOND);
      expect((await self(b)).status).toBe(401);
      expect((await a.post(`${BASE}/${token.id}/resume`, {}, { token: user.session })).status).toBe(200);
      expect((await self(b)).status).toBe(200);
    } finally {
      await close();
    }
  });
});
