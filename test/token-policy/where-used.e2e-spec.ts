import { DataSource } from 'typeorm';
import { TokenBookkeepingService } from '../../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { MINUTE, SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';

describe.each(testDatabases())('where a token is used on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    alice = await t.createUser('member');
    admin = await t.loginAdmin();
  });

  const settled = () => t.app.get(TokenBookkeepingService).settled();
  const use = (token: string, ip: string, userAgent = 'deploy-bot/1.0') =>
    t.get(`${BASE}/self`, { token, ip, headers: { 'user-agent': userAgent } });
  const detail = async (id: string) => (await t.get(`${BASE}/${id}`, { token: alice.session })).body;

  it('lists the last five distinct addresses, first and last seen, and the last user agent', async () => {
    const { token, id } = await t.mintToken(alice.session);
    expect((await detail(id)).recentAddresses).toEqual([]);
    const firstSeen = t.clock.now().toISOString();
    expect((await use(token, '203.0.113.1')).status).toBe(200);
    for (const [i, ip] of ['203.0.113.2', '2001:db8::7', '203.0.113.3', '203.0.113.4', '203.0.113.5'].entries()) {
      t.clock.advance(SECOND * (i + 1));
      expect((await use(token, ip)).status).toBe(200);
    }
    t.clock.advance(2 * MINUTE);
    const lastSeen = t.clock.now().toISOString();
    expect((await use(token, '203.0.113.2', 'curl/8.5.0')).status).toBe(200);
    await settled();

    const body = await detail(id);
    // Six addresses seen; the oldest (203.0.113.1) made room. 203.0.113.2 was seen again, last.
    expect(body.recentAddresses.map((a: any) => a.ip)).toEqual(['203.0.113.2', '203.0.113.5', '203.0.113.4', '203.0.113.3', '2001:db8::7']);
    expect(body.recentAddresses[0]).toEqual({ ip: '203.0.113.2', firstSeenAt: expect.any(String), lastSeenAt: lastSeen });
    expect(body.recentAddresses[0].firstSeenAt < lastSeen).toBe(true);
    expect(firstSeen <= body.recentAddresses[4].firstSeenAt).toBe(true);
    expect(body).toMatchObject({ lastUsedAt: lastSeen, lastUsedIp: '203.0.113.2', lastUsedUserAgent: 'curl/8.5.0' });
    // Storage stays bounded too: the sixth address's row was deleted, not only hidden.
    const [{ count }] = await t.app
      .get(DataSource)
      .query('SELECT COUNT(*) AS count FROM personal_access_token_addresses WHERE token_id = ?', [id]);
    expect(Number(count)).toBe(5);
    // The administrator's view shows the same.
    expect((await t.get(`/admin/personal-access-tokens/${id}`, { token: admin })).body.recentAddresses).toEqual(body.recentAddresses);
  });

  it('writes a token’s addresses together, at most once a minute, however many requests and addresses', async () => {
    const { token, id } = await t.mintToken(alice.session);
    const addressWrites = () => t.logs.filter((line) => /INSERT INTO \W*personal_access_token_addresses/.test(line)).length;
    const before = addressWrites();
    const firstAt = t.clock.now().toISOString();
    let lastAt = firstAt;
    for (let i = 0; i < 30; i++) {
      lastAt = t.clock.now().toISOString();
      await use(token, `198.51.100.${i % 3}`);
      t.clock.advance(SECOND);
    }
    await settled();
    // The first use wrote the token's last use and its address; the other 29 (three addresses)
    // waited in memory and went in one write.
    expect(addressWrites() - before).toBe(2);
    const addresses = (await detail(id)).recentAddresses;
    expect(addresses.map((a: any) => a.ip).sort()).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2']);
    expect(addresses.find((a: any) => a.ip === '198.51.100.0')).toEqual({
      ip: '198.51.100.0',
      firstSeenAt: firstAt,
      lastSeenAt: expect.any(String),
    });
    expect(addresses[0].lastSeenAt).toBe(lastAt);
  });

  it('keeps no secret and no control character from a user agent', async () => {
    const { token, id } = await t.mintToken(alice.session);
    await use(token, '198.51.100.9', `tool\u0007/1 ${token} ${'x'.repeat(400)}`);
    await settled();
    const agent = (await detail(id)).lastUsedUserAgent;
    expect(agent).not.toContain(token);
    expect(agent).toMatch(/^tool \/1 \[redacted\] x+$/);
    expect(agent).toHaveLength(255);
  });

  it("another user's token tells nothing of where it is used", async () => {
    const bob = await t.createUser('member');
    const { token, id } = await t.mintToken(bob.session);
    await use(token, '198.51.100.20');
    await settled();
    expect((await t.get(`${BASE}/${id}`, { token: alice.session })).status).toBe(404);
  });

  it('introspection is no use: it records no address', async () => {
    const gateway = (await t.mintToken(admin, { scopes: ['tokens:introspect'] })).token;
    const { token, id } = await t.mintToken(alice.session);
    await t.post('/personal-access-tokens/introspect', { token }, { token: gateway, ip: '198.51.100.30' });
    await settled();
    expect((await detail(id)).recentAddresses).toEqual([]);
  });
});
