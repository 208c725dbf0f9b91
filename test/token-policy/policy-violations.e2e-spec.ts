import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY, TokenEvents } from '../../libs/personal-access-tokens/src';
import { TokenEvent } from '../support/library-internals';
import { DAY } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const REPORT = '/admin/personal-access-token-policy-violations';

/** A database two app starts share: a file for SQLite (":memory:" dies with its app). */
async function sharedDatabase(kind: { name: string; create(): Promise<TestDatabase> }): Promise<TestDatabase> {
  if (kind.name !== 'sqlite') return kind.create();
  const dir = mkdtempSync(join(tmpdir(), 'pat-policy-'));
  return { config: { type: 'sqlite', file: join(dir, 'pat.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

describe.each(testDatabases())('a tightened policy applied to existing tokens on $name', (kind) => {
  let database: TestDatabase;
  let t: TestApp;
  let admin: string;
  let user: TestUser;
  const tokens: Record<string, any> = {};
  const events: TokenEvent[] = [];
  const peppers = [randomBytes(32).toString('hex')];

  beforeAll(async () => {
    database = await sharedDatabase(kind);
    // Made under a lenient policy: a year, and tokens that never expire.
    const before = await TestApp.start(database, { peppers, policy: { ...DEFAULT_POLICY, maxLifetimeDays: 365, allowNoExpiry: true } });
    user = await before.createUser('member');
    const at = (days: number) => new Date(before.clock.now().getTime() + days * DAY).toISOString();
    tokens.long = await before.mintToken(user.session, { name: 'long', expiresAt: at(300) });
    tokens.forever = await before.mintToken(user.session, { name: 'forever', expiresAt: null });
    tokens.fine = await before.mintToken(user.session, { name: 'fine', expiresAt: at(30) });
    tokens.revoked = await before.mintToken(user.session, { name: 'revoked', expiresAt: at(200) });
    tokens.race = await before.mintToken(user.session, { name: 'race', expiresAt: at(250) });
    await before.post(`${BASE}/${tokens.revoked.id}/revoke`, {}, { token: user.session });
    await before.close();

    // Tightened: 90 days at most, and every token must expire.
    t = await TestApp.start(database, { peppers, policy: { ...DEFAULT_POLICY, maxLifetimeDays: 90, allowNoExpiry: false } });
    admin = await t.loginAdmin();
    t.app.get(TokenEvents).subscribe((event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('logs at start-up how many live tokens break the policy', () => {
    const line = t.logs.find((entry) => entry.includes('break the current token policy'));
    expect(line).toBeDefined();
    expect(line).toMatch(/"tokensWithoutExpiry":1\b/);
    expect(line).toMatch(/"tokensExpiringTooLate":2\b/);
  });

  it('reports them to administrators, with the expiry shortening would give', async () => {
    const report = await t.get(REPORT, { token: admin });
    expect(report.status).toBe(200);
    expect(report.body.policy).toEqual({ maxLifetimeDays: 90, allowNoExpiry: false });
    const byName = Object.fromEntries(report.body.items.map((item: any) => [item.tokenName, item]));
    expect(Object.keys(byName).sort()).toEqual(['forever', 'long', 'race']);
    expect(byName.forever).toMatchObject({ violation: 'no_expiry', expiresAt: null, userEmail: user.email });
    expect(byName.long.violation).toBe('lifetime_too_long');
    expect(byName.long.shortenTo).toBe(new Date(t.clock.now().getTime() + 90 * DAY).toISOString());
    expect(JSON.stringify(report.body)).not.toContain(tokens.long.token);
  });

  it('shortens a token to the policy, never extends one, and tells the owner', async () => {
    const target = new Date(t.clock.now().getTime() + 90 * DAY).toISOString();
    const shortened = await t.post(`${REPORT}/${tokens.long.id}/shorten`, {}, { token: admin });
    expect(shortened.status).toBe(200);
    expect(shortened.body).toMatchObject({ status: 'active', expiresAt: target });
    expect((await t.get(`${BASE}/self`, { token: tokens.long.token })).body.expiresAt).toBe(target);
    const event = events.find((e) => e.type === 'token.expiry_shortened' && e.tokenId === tokens.long.id);
    expect(event).toMatchObject({ tokenName: 'long', actor: { type: 'user' } });
    expect(event!.details).toMatchObject({ expiresAt: new Date(target), maxLifetimeDays: 90 });

    expect((await t.post(`${REPORT}/${tokens.long.id}/shorten`, {}, { token: admin })).status).toBe(409);
    const fine = await t.post(`${REPORT}/${tokens.fine.id}/shorten`, {}, { token: admin });
    expect([fine.status, fine.body.code]).toEqual([409, 'policy_already_met']);
    expect((await t.get(`/admin/personal-access-tokens/${tokens.fine.id}`, { token: admin })).body.expiresAt).toBe(tokens.fine.expiresAt);
    expect((await t.post(`${REPORT}/${tokens.revoked.id}/shorten`, {}, { token: admin })).status).toBe(409);

    const trail = await t.get(`/user/me/audit-events?tokenId=${tokens.long.id}&action=personal_access_token.expiry_shortened&limit=10`, {
      token: (await t.post('/auth/login', { email: user.email, password: user.password })).body.accessToken,
    });
    expect(trail.body.items).toHaveLength(1);
  });

  it('of concurrent shortenings of one token exactly one changes it', async () => {
    const answers = await Promise.all([1, 2, 3].map(() => t.post(`${REPORT}/${tokens.race.id}/shorten`, {}, { token: admin })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    expect(events.filter((e) => e.type === 'token.expiry_shortened' && e.tokenId === tokens.race.id)).toHaveLength(1);
  });

  it('a token revoked from the report leaves it', async () => {
    expect((await t.post(`/admin/personal-access-tokens/${tokens.forever.id}/revoke`, {}, { token: admin })).status).toBe(200);
    expect((await t.get(`${BASE}/self`, { token: tokens.forever.token })).status).toBe(401);
    const report = await t.get(REPORT, { token: admin });
    expect(report.body).toMatchObject({ total: 0, items: [] });
  });

  it('refuses hostile input and non-administrators', async () => {
    expect((await t.post(`${REPORT}/not-a-uuid/shorten`, {}, { token: admin })).status).toBe(400);
    expect((await t.post(`${REPORT}/00000000-0000-4000-8000-00000000beef/shorten`, {}, { token: admin })).status).toBe(404);
    for (const query of ['page=0', 'pageSize=101', 'page=x', 'pageSize=', 'extra=1']) {
      expect([query, (await t.get(`${REPORT}?${query}`, { token: admin })).status]).toEqual([query, 400]);
    }
    const member = await t.createUser('member');
    expect((await t.get(REPORT, { token: member.session })).status).toBe(403);
    expect((await t.post(`${REPORT}/${tokens.race.id}/shorten`, {}, { token: member.session })).status).toBe(403);
  });
});
