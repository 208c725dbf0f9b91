import { DEFAULT_POLICY } from '../../libs/personal-access-tokens/src';
import { AuditWriter } from '../support/library-internals';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const INTROSPECT = '/personal-access-tokens/introspect';
const PROXY = '192.0.2.10';

describe.each(testDatabases())('IP allow-list per token on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let alice: TestUser;

  beforeAll(async () => {
    // Only the proxy's X-Forwarded-For is believed (TRUST_PROXY).
    t = await TestApp.start(database, { trustProxy: [PROXY] });
    admin = await t.loginAdmin();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    alice = await t.createUser('member');
  });

  const mint = (allowedIps: unknown, extra: Record<string, unknown> = {}) =>
    t.post(
      BASE,
      { name: `ci-${Math.random().toString(36).slice(2, 8)}`, scopes: ['personal_access_tokens:read'], allowedIps, ...extra },
      { token: alice.session },
    );
  const useFrom = (token: string, ip: string) => t.get(`${BASE}/self`, { token, ip });

  it('stores the list normalised and lets only addresses on it use the token', async () => {
    const created = await mint(['10.1.2.3/8', '203.0.113.7', '2001:DB8::/32', '::ffff:198.51.100.9']);
    expect(created.status).toBe(201);
    expect(created.body.allowedIps).toEqual(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32', '198.51.100.9']);
    const { token, id } = created.body;
    expect((await t.get(`${BASE}/${id}`, { token: alice.session })).body.allowedIps).toEqual(created.body.allowedIps);

    for (const ip of ['10.9.8.7', '203.0.113.7', '2001:db8:5::1', '::ffff:10.0.0.1', '198.51.100.9']) {
      expect({ ip, status: (await useFrom(token, ip)).status }).toEqual({ ip, status: 200 });
    }
    for (const ip of ['203.0.113.8', '11.0.0.1', '2001:db9::1', '::ffff:11.0.0.1', '127.0.0.1']) {
      const refused = await useFrom(token, ip);
      expect({ ip, status: refused.status }).toEqual({ ip, status: 401 });
      // The same answer as any invalid token: nothing about the list.
      expect(refused.body.code).toBe('invalid_token');
      expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(JSON.stringify(refused.body)).not.toMatch(/10\.0\.0\.0|203\.0\.113|2001:db8|allow/i);
    }
  });

  it('a token without a list (null or left out) may be used from anywhere', async () => {
    for (const allowedIps of [null, undefined]) {
      const created = await mint(allowedIps);
      expect(created.status).toBe(201);
      expect(created.body.allowedIps).toBeNull();
      expect((await useFrom(created.body.token, '198.51.100.200')).status).toBe(200);
    }
  });

  it('refuses a cached token the moment it is used from elsewhere (the check is per use, not per verification)', async () => {
    const { token } = (await mint(['203.0.113.0/24'])).body;
    expect((await useFrom(token, '203.0.113.1')).status).toBe(200);
    // Within the verification cache's lifetime, from another address.
    expect((await useFrom(token, '198.51.100.1')).status).toBe(401);
    expect((await useFrom(token, '203.0.113.2')).status).toBe(200);
  });

  it('the trusted-proxy rule decides which address counts', async () => {
    const { token } = (await mint(['203.0.113.0/24'])).body;
    const via = (remote: string, forwarded: string) =>
      t.get(`${BASE}/self`, { token, ip: remote, headers: { 'x-forwarded-for': forwarded } });
    // From the trusted proxy, the client it names counts.
    expect((await via(PROXY, '203.0.113.5')).status).toBe(200);
    expect((await via(PROXY, '198.51.100.1')).status).toBe(401);
    // From anyone else, X-Forwarded-For is not believed: a forged header does not get in.
    expect((await via('198.51.100.1', '203.0.113.5')).status).toBe(401);
  });

  it('PATCH replaces the list (null clears it), and the new list bites on the next request', async () => {
    const { token, id } = (await mint(['203.0.113.0/24'])).body;
    expect((await useFrom(token, '203.0.113.1')).status).toBe(200);
    const narrowed = await t.patch(`${BASE}/${id}`, { allowedIps: ['198.51.100.0/24'] }, { token: alice.session });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.allowedIps).toEqual(['198.51.100.0/24']);
    expect((await useFrom(token, '203.0.113.1')).status).toBe(401);
    expect((await useFrom(token, '198.51.100.1')).status).toBe(200);
    const cleared = await t.patch(`${BASE}/${id}`, { allowedIps: null }, { token: alice.session });
    expect(cleared.body.allowedIps).toBeNull();
    expect((await useFrom(token, '203.0.113.1')).status).toBe(200);
    // A PATCH without the field leaves the list as it is.
    await t.patch(`${BASE}/${id}`, { allowedIps: ['192.0.2.0/24'] }, { token: alice.session });
    expect((await t.patch(`${BASE}/${id}`, { description: 'x' }, { token: alice.session })).body.allowedIps).toEqual(['192.0.2.0/24']);
  });

  it('regenerate and rotate keep the list', async () => {
    const created = (await mint(['203.0.113.0/24'], { expiresIn: '7d' })).body;
    t.clock.advance(2 * 3600 * 1000);
    const rotated = await t.request('PATCH', `${BASE}/${created.id}/rotate`, { token: alice.session, body: {} });
    expect(rotated.status).toBe(200);
    expect(rotated.body.allowedIps).toEqual(['203.0.113.0/24']);
    expect((await useFrom(rotated.body.token, '198.51.100.1')).status).toBe(401);
    expect((await useFrom(rotated.body.token, '203.0.113.1')).status).toBe(200);
    await t.post(`${BASE}/${created.id}/revoke`, {}, { token: alice.session });
    const regenerated = await t.post(`${BASE}/${created.id}/regenerate`, {}, { token: alice.session });
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.allowedIps).toEqual(['203.0.113.0/24']);
    expect((await useFrom(regenerated.body.token, '198.51.100.1')).status).toBe(401);
    expect((await useFrom(regenerated.body.token, '203.0.113.1')).status).toBe(200);
  });

  it('gateway verification and introspection apply the list too', async () => {
    const { token } = (await mint(['203.0.113.0/24'])).body;
    expect((await t.get('/auth/verify', { token, ip: '203.0.113.9' })).status).toBe(200);
    const refused = await t.get('/auth/verify', { token, ip: '198.51.100.9' });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');

    const gateway = (await t.mintToken(admin, { name: `gw-${Date.now()}`, scopes: ['tokens:introspect'] })).token;
    const introspect = (body: Record<string, unknown>) => t.post(INTROSPECT, { token, ...body }, { token: gateway });
    expect((await introspect({ client_ip: '203.0.113.9' })).body).toMatchObject({ active: true });
    expect((await introspect({ client_ip: '::ffff:203.0.113.9' })).body).toMatchObject({ active: true });
    expect((await introspect({ client_ip: '198.51.100.9' })).body).toEqual({ active: false });
    // Without client_ip the asking service cannot vouch for the address: inactive.
    expect((await introspect({})).body).toEqual({ active: false });
    const bad = await introspect({ client_ip: '10.0.0.0/8' });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([{ field: 'client_ip', reason: 'must be an IPv4 or IPv6 address' }]);
  });

  it('a refusal is in the owner’s audit trail with the address and the reason', async () => {
    const { token, id } = (await mint(['203.0.113.0/24'])).body;
    expect((await useFrom(token, '198.51.100.77')).status).toBe(401);
    await t.app.get(AuditWriter).flush();
    const trail = (await t.get(`/user/me/audit-events?tokenId=${id}&limit=50`, { token: alice.session })).body.items;
    const refusal = trail.find((event: any) => event.outcome === 'denied');
    expect(refusal).toMatchObject({
      ip: '198.51.100.77',
      statusCode: 401,
      tokenId: id,
      details: { code: 'invalid_token', reason: 'address_not_allowed' },
    });
  });

  describe('hostile input', () => {
    it.each([
      ['a string', '10.0.0.1', 'allowedIps', /must be an array/],
      ['a number', 42, 'allowedIps', /must be an array/],
      ['an object', { ip: '10.0.0.1' }, 'allowedIps', /must be an array/],
      ['an empty list', [], 'allowedIps', /at least one address/],
      ['51 entries', Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`), 'allowedIps', /must contain no more than 50/],
      ['a null entry', ['10.0.0.1', null], 'allowedIps[1]', /must be a string/],
      ['a number entry', [10], 'allowedIps[0]', /must be a string/],
      ['a prefix too long', ['10.0.0.0/33'], 'allowedIps[0]', /must be an IPv4 or IPv6 address or CIDR range/],
      ['three octets', ['10.0.0.1', '1.2.3'], 'allowedIps[1]', /must be an IPv4 or IPv6 address or CIDR range/],
      ['a mapped range too long', ['::ffff:1.2.3.4/200'], 'allowedIps[0]', /must be an IPv4 or IPv6 address or CIDR range/],
      ['a URL', ['https://example.com/?secret=hunter2'], 'allowedIps[0]', /must be an IPv4 or IPv6 address or CIDR range/],
      ['an oversized entry', ['1'.repeat(10_000)], 'allowedIps[0]', /must be an IPv4 or IPv6 address or CIDR range/],
    ])('refuses %s on create and on PATCH, naming the field, changing nothing', async (_label, allowedIps, field, reason) => {
      const created = await mint(allowedIps);
      expect(created.status).toBe(400);
      expect(created.body).toMatchObject({ statusCode: 400, code: 'validation_failed', requestId: expect.any(String) });
      expect(created.body.details).toEqual([{ field, reason: expect.stringMatching(reason) }]);
      expect(JSON.stringify(created.body)).not.toContain('hunter2');

      const existing = (await mint(['192.0.2.0/24'])).body;
      const patched = await t.patch(`${BASE}/${existing.id}`, { allowedIps }, { token: alice.session });
      expect(patched.status).toBe(400);
      expect(patched.body.details).toEqual([{ field, reason: expect.stringMatching(reason) }]);
      expect((await t.get(`${BASE}/${existing.id}`, { token: alice.session })).body.allowedIps).toEqual(['192.0.2.0/24']);
    });

    it('fifty entries are accepted', async () => {
      const created = await mint(Array.from({ length: 50 }, (_, i) => `10.0.${i}.0/24`));
      expect(created.status).toBe(201);
      expect(created.body.allowedIps).toHaveLength(50);
    });
  });
});

describe.each(testDatabases())('the sensitive-scope allow-list policy on $name', (database) => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      policy: { ...DEFAULT_POLICY, requireAllowListForSensitiveScopes: true },
      productScopes: [
        { resource: 'reports', description: 'Reports', actions: ['read', 'delete'], sensitive: ['delete'] },
        { resource: 'billing', actions: ['read'], sensitive: true },
      ],
    });
    admin = await t.loginAdmin();
  });
  afterAll(() => t.close());

  it('marks the catalog entries, and refuses a sensitive scope on a token without a list', async () => {
    const catalog = (await t.get('/scopes', { token: admin })).body.items;
    const sensitive = catalog.filter((entry: any) => entry.sensitive).map((entry: any) => entry.scope);
    expect(sensitive.sort()).toEqual(['admin:read', 'admin:write', 'billing:read', 'reports:delete']);

    const refused = await t.post(BASE, { name: 'no-list', scopes: ['reports:delete:42'] }, { token: admin });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'allow_list_required', details: [{ field: 'allowedIps', reason: expect.any(String) }] });
    expect((await t.get(`${BASE}?search=no-list`, { token: admin })).body.total).toBe(0);

    const ok = await t.post(
      BASE,
      { name: 'with-list', scopes: ['reports:delete', 'reports:read'], allowedIps: ['127.0.0.1'] },
      { token: admin },
    );
    expect(ok.status).toBe(201);
    // Neither may the list be taken away while the scope stays...
    const cleared = await t.patch(`${BASE}/${ok.body.id}`, { allowedIps: null }, { token: admin });
    expect(cleared.status).toBe(400);
    expect(cleared.body.code).toBe('allow_list_required');
    // ...nor a sensitive scope be added to a token without one.
    const plain = await t.post(BASE, { name: 'plain', scopes: ['reports:read'] }, { token: admin });
    expect(plain.status).toBe(201);
    const added = await t.post(`${BASE}/${plain.body.id}/scopes`, { scope: 'billing:read' }, { token: admin });
    expect(added.status).toBe(400);
    expect(added.body.code).toBe('allow_list_required');
    const rescoped = await t.patch(`${BASE}/${plain.body.id}`, { scopes: ['admin:read'] }, { token: admin });
    expect(rescoped.body.code).toBe('allow_list_required');
    expect((await t.get(`${BASE}/${plain.body.id}`, { token: admin })).body.scopes).toEqual(['reports:read']);
  });
});
