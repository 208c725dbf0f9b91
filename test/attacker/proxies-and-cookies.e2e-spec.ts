import { SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { expectErrorShape } from '../support/assertions';
import { eventsOf, fakePageBuild, pageSignIn } from './support';

const PROXY = '10.9.9.9';
const HTTPS = { 'x-forwarded-proto': 'https' };
const PAGE_HOST = { host: 'pat.example.test' };

/**
 * The address the audit trail recorded for one request made with `options`: a change, which is an
 * event of its own (successful reads are counted into roll-ups, without request ids).
 */
async function addressSeen(t: TestApp, session: string, ip: string, forwardedFor?: string): Promise<string | null> {
  const requestId = `proxy-${Math.random().toString(36).slice(2)}`;
  const headers: Record<string, string> = { 'x-request-id': requestId, ...(forwardedFor && { 'x-forwarded-for': forwardedFor }) };
  const created = await t.post('/user/me/personal-access-tokens', { name: requestId, scopes: [] }, { token: session, ip, headers });
  expect(created.status).toBe(201);
  const [event] = await eventsOf(t, requestId);
  return event.ip;
}

/**
 * What a sibling subdomain, a spoofing client or a deactivated user would try: planting a session
 * cookie, forging X-Forwarded-For, and coming back with a session from before a deactivation.
 */
describe.each(testDatabases())('proxies, cookies and sessions on $name', (database) => {
  describe('trusted proxies (TRUST_PROXY as a list)', () => {
    let t: TestApp;
    let alice: TestUser;

    beforeAll(async () => {
      t = await TestApp.start(database, { trustProxy: [PROXY, 'fd00::/8'] });
      alice = await t.createUser('member');
    });
    afterAll(() => t.close());

    it('believes X-Forwarded-For only from a listed proxy (IPv4 and an IPv6 CIDR)', async () => {
      expect(await addressSeen(t, alice.session, PROXY, '203.0.113.5')).toBe('203.0.113.5');
      expect(await addressSeen(t, alice.session, 'fd00::17', '203.0.113.6')).toBe('203.0.113.6');
    });

    it('ignores X-Forwarded-For from any other client', async () => {
      expect(await addressSeen(t, alice.session, '198.51.100.7', '203.0.113.5')).toBe('198.51.100.7');
      expect(await addressSeen(t, alice.session, '2001:db8::1', '203.0.113.5')).toBe('2001:db8::1');
    });

    it('takes only the hops added by trusted proxies: a client-forged first hop is not the address', async () => {
      // The client sent "X-Forwarded-For: 1.2.3.4"; the trusted proxy appended the client's real address.
      expect(await addressSeen(t, alice.session, PROXY, '1.2.3.4, 198.51.100.7')).toBe('198.51.100.7');
    });
  });

  describe("the page's session cookie", () => {
    let t: TestApp;
    let alice: TestUser;
    let mallory: TestUser;
    const page = fakePageBuild();

    beforeAll(async () => {
      // The test client is the trusted proxy that terminates TLS (X-Forwarded-Proto).
      t = await TestApp.start(database, { page: { path: '/page', assetsDir: page.dir }, trustProxy: ['127.0.0.1'] });
      alice = await t.createUser('member');
      mallory = await t.createUser('member');
    });
    afterAll(async () => {
      await t.close();
      page.remove();
    });

    const whoAmI = (cookie: string, headers: Record<string, string> = HTTPS) =>
      t.get('/page/api/session', { headers: { ...PAGE_HOST, ...headers, cookie } });

    it('over HTTPS is __Host-pat_session: Secure, Path=/, no Domain', async () => {
      const { response, setCookie } = await pageSignIn(t, alice.email, alice.password, HTTPS);
      expect(response.status).toBe(200);
      expect(setCookie).toMatch(/^__Host-pat_session=[A-Za-z0-9_]+; /);
      expect(setCookie).toContain('; Secure');
      expect(setCookie).toContain('; Path=/;');
      expect(setCookie).not.toMatch(/domain=/i);
    });

    it('over plain HTTP stays pat_session, without Secure (a __Host- cookie needs it)', async () => {
      const { setCookie } = await pageSignIn(t, alice.email, alice.password);
      expect(setCookie).toMatch(/^pat_session=/);
      expect(setCookie).not.toContain('Secure');
    });

    it('a planted pat_session beside the real __Host- one never wins, in either order', async () => {
      const real = (await pageSignIn(t, alice.email, alice.password, HTTPS)).cookie;
      const planted = `pat_session=${mallory.session}`;
      for (const cookie of [`${planted}; ${real}`, `${real}; ${planted}`]) {
        const response = await whoAmI(cookie);
        expect(response.status).toBe(200);
        expect(response.body.user.id).toBe(alice.id);
      }
    });

    it('over HTTPS a plain pat_session alone is no credential (only a sibling or plain-HTTP page could have set it)', async () => {
      const response = await whoAmI(`pat_session=${mallory.session}`);
      expectErrorShape(response, 401);
    });

    it('two different session cookies of the same name are refused, not resolved by order', async () => {
      const real = (await pageSignIn(t, alice.email, alice.password, HTTPS)).cookie.split('=')[1];
      const overHttps = await whoAmI(`__Host-pat_session=${mallory.session}; __Host-pat_session=${real}`);
      expectErrorShape(overHttps, 400);
      expect(overHttps.body.code).toBe('invalid_request');
      const overHttp = await whoAmI(`pat_session=${mallory.session}; pat_session=${alice.session}`, {});
      expectErrorShape(overHttp, 400);
      expect(overHttp.body.code).toBe('invalid_request');
    });

    it('the same cookie sent twice is still one session', async () => {
      const real = (await pageSignIn(t, alice.email, alice.password, HTTPS)).cookie;
      const response = await whoAmI(`${real}; ${real}`);
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(alice.id);
    });
  });

  describe('deactivation is a cut-off for sessions', () => {
    let t: TestApp;
    let admin: string;

    beforeAll(async () => {
      t = await TestApp.start(database);
      admin = await t.loginAdmin();
    });
    afterAll(() => t.close());

    const setActive = async (id: string, active: boolean) =>
      expect((await t.patch(`/admin/users/${id}`, { active }, { token: admin })).status).toBe(200);

    it('reactivating a user does not revive sessions issued before the deactivation; new ones work', async () => {
      const bob = await t.createUser('member');
      const login = await t.post('/auth/login', { email: bob.email, password: bob.password });
      expect(login.status).toBe(200);
      const old = [bob.session, login.body.accessToken as string];
      t.clock.advance(SECOND);
      await setActive(bob.id, false);
      for (const session of old) expect((await t.get('/user/me', { token: session })).status).toBe(401);
      t.clock.advance(SECOND);
      await setActive(bob.id, true);
      for (const session of old) expectErrorShape(await t.get('/user/me', { token: session }), 401);
      t.clock.advance(SECOND);
      const fresh = await t.post('/auth/login', { email: bob.email, password: bob.password });
      expect(fresh.status).toBe(200);
      expect((await t.get('/user/me', { token: fresh.body.accessToken })).status).toBe(200);
    });

    it('a later deactivation cuts off the sessions issued since, again', async () => {
      const carol = await t.createUser('member');
      t.clock.advance(SECOND);
      await setActive(carol.id, false);
      t.clock.advance(SECOND);
      await setActive(carol.id, true);
      t.clock.advance(SECOND);
      const second = (await t.post('/auth/login', { email: carol.email, password: carol.password })).body.accessToken as string;
      expect((await t.get('/user/me', { token: second })).status).toBe(200);
      t.clock.advance(SECOND);
      await setActive(carol.id, false);
      t.clock.advance(SECOND);
      await setActive(carol.id, true);
      expect((await t.get('/user/me', { token: second })).status).toBe(401);
    });
  });
});
