import { DataSource } from 'typeorm';
import { ExpiryJob } from './support/library-internals';
import { HOUR } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

/*
 * The token policy holds whatever a client sends: `null` and wrong types are refused with the rule
 * that failed first, impossible dates and ids are read as a person means them, names are "the
 * same" by one rule on every database, and the token rules do not contradict each other.
 */

const BASE = '/user/me/personal-access-tokens';
const READ = 'personal_access_tokens:read';
const WRITE = 'personal_access_tokens:write';

describe.each(testDatabases())('input rules and the token policy on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      policy: {
        defaultLifetimeDays: 90,
        maxLifetimeDays: 365,
        allowNoExpiry: false,
        maxActiveTokensPerUser: 20,
        rotationIntervalSeconds: 3600,
      },
    });
    admin = await t.loginAdmin();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    alice = await t.createUser('member');
  });

  const names = async (caller: string) =>
    (await t.get(`${BASE}?pageSize=100`, { token: caller })).body.items.map((i: { name: string }) => i.name).sort();
  const detail = (response: { body: { details?: { field: string; reason: string }[] } }, field: string) =>
    response.body.details?.find((d) => d.field === field)?.reason;

  describe('no input mints a token the policy forbids', () => {
    it.each([
      ['expiresIn: null', { expiresIn: null }, 'expiresIn', 'must not be null'],
      ['expiresAt: null (policy requires an expiry)', { expiresAt: null }, 'expiresAt', 'must be a date'],
      ['an impossible date', { expiresAt: '2027-02-30T00:00:00Z' }, 'expiresAt', expect.stringContaining('ISO 8601')],
      ['a date without a time zone', { expiresAt: '2027-01-01T00:00:00' }, 'expiresAt', expect.stringContaining('ISO 8601')],
      ['25 o’clock', { expiresAt: '2027-01-01T25:00:00Z' }, 'expiresAt', expect.stringContaining('ISO 8601')],
    ])('create with %s is a 400 and creates nothing', async (_case, expiry, field, reason) => {
      const response = await t.post(BASE, { name: 'x', scopes: [READ], ...expiry }, { token: alice.session });
      expect(response.status).toBe(400);
      expect(detail(response, field)).toEqual(reason);
      expect(await names(alice.session)).toEqual([]);
    });

    it('rotate and regenerate with expiresIn: null are 400s and change nothing', async () => {
      const token = await t.mintToken(alice.session, { expiresIn: '30d' });
      const rotate = await t.patch(`${BASE}/${token.id}/rotate`, { expiresIn: null }, { token: alice.session });
      expect(rotate.status).toBe(400);
      expect(detail(rotate, 'expiresIn')).toBe('must not be null');
      await t.post(`${BASE}/${token.id}/revoke`, {}, { token: alice.session });
      const regenerate = await t.post(`${BASE}/${token.id}/regenerate`, { expiresIn: null }, { token: alice.session });
      expect(regenerate.status).toBe(400);
      const after = await t.get(`${BASE}/${token.id}`, { token: alice.session });
      expect(after.body).toMatchObject({ status: 'revoked', expiresAt: token.expiresAt, rotatedAt: null });
    });

    it('a 1-hour PAT cannot mint a child that outlives it, by any spelling', async () => {
      const parent = await t.mintToken(alice.session, { expiresIn: '1h', scopes: [READ, WRITE] });
      // Each spelling is refused for its own reason: an unrelated 400 must not stand in for the escalation check.
      const refusals: Record<string, unknown> = {};
      for (const expiry of [{ expiresIn: null }, { expiresAt: null }, { expiresIn: '1d' }, {}]) {
        const response = await t.post(
          BASE,
          { name: `child-${JSON.stringify(expiry)}`, scopes: [READ], ...expiry },
          { token: parent.token },
        );
        refusals[JSON.stringify(expiry)] = { status: response.status, code: response.body.code };
      }
      expect(refusals).toEqual({
        '{"expiresIn":null}': { status: 400, code: 'validation_failed' },
        // This policy forbids tokens without expiry, whoever asks (the next case lifts it).
        '{"expiresAt":null}': { status: 400, code: 'expiry_required' },
        '{"expiresIn":"1d"}': { status: 403, code: 'token_escalation' },
        '{}': { status: 403, code: 'token_escalation' },
      });
      const child = await t.post(
        BASE,
        { name: 'short-child', scopes: [READ], expiresAt: new Date(t.clock.now().getTime() + HOUR / 2).toISOString() },
        { token: parent.token },
      );
      expect(child.status).toBe(201);
      expect(new Date(child.body.expiresAt).getTime()).toBeLessThanOrEqual(new Date(parent.expiresAt).getTime());
      expect(await names(alice.session)).toEqual([parent.name, 'short-child'].sort());
    });

    it('where the policy allows no expiry, only a session (or a never-expiring PAT) may ask for it', async () => {
      const open = await TestApp.start(database, {
        policy: {
          defaultLifetimeDays: 90,
          maxLifetimeDays: 365,
          allowNoExpiry: true,
          maxActiveTokensPerUser: 20,
          rotationIntervalSeconds: 3600,
        },
      });
      try {
        const user = await open.createUser('member');
        const forever = await open.post(BASE, { name: 'forever', scopes: [READ, WRITE], expiresAt: null }, { token: user.session });
        expect(forever.status).toBe(201);
        expect(forever.body.expiresAt).toBeNull();
        const hourly = await open.mintToken(user.session, { expiresIn: '1h', scopes: [READ, WRITE] });
        const immortal = await open.post(BASE, { name: 'immortal', scopes: [READ], expiresAt: null }, { token: hourly.token });
        expect(immortal.status).toBe(403);
        expect(immortal.body.code).toBe('token_escalation');
        expect((await open.post(BASE, { name: 'child', scopes: [READ], expiresIn: '30d' }, { token: forever.body.token })).status).toBe(
          201,
        );
      } finally {
        await open.close();
      }
    });
  });

  describe('null is a value only where a field is documented nullable', () => {
    it('PATCH a token with name: null is a 400 naming the field; the token is unchanged', async () => {
      const token = await t.mintToken(alice.session, { name: 'keep-me', description: 'kept' });
      for (const body of [{ name: null }, { scopes: null }, { name: 42 }, { name: '' }]) {
        const response = await t.patch(`${BASE}/${token.id}`, body, { token: alice.session });
        expect(response.status).toBe(400);
        expect(response.body.details.map((d: { field: string }) => d.field)).toEqual(Object.keys(body));
      }
      expect((await t.get(`${BASE}/${token.id}`, { token: alice.session })).body).toMatchObject({
        name: 'keep-me',
        description: 'kept',
        scopes: [READ],
      });
    });

    it('description is nullable: null clears it', async () => {
      const token = await t.mintToken(alice.session, { description: 'temporary' });
      const cleared = await t.patch(`${BASE}/${token.id}`, { description: null }, { token: alice.session });
      expect(cleared.status).toBe(200);
      expect(cleared.body.description).toBeNull();
    });

    it('PATCH /admin/users/{id} with null fields is a 400 and changes nothing', async () => {
      for (const body of [{ displayName: null }, { role: null }, { active: null }, { active: 'yes' }, { role: 7 }]) {
        const response = await t.patch(`/admin/users/${alice.id}`, body, { token: admin });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ code: 'validation_failed', details: [{ field: Object.keys(body)[0] }] });
      }
      expect((await t.get(`/admin/users/${alice.id}`, { token: admin })).body).toMatchObject({ role: 'member', active: true });
    });
  });

  describe('validation names the rule that failed first', () => {
    it.each([
      ['missing name', 'POST', BASE, { scopes: [READ] }, 'name', 'is required'],
      ['numeric name', 'POST', BASE, { name: 5, scopes: [READ] }, 'name', 'must be a string'],
      ['name with a control character', 'POST', BASE, { name: 'a\u0007b', scopes: [READ] }, 'name', 'must not contain control characters'],
      ['missing scopes', 'POST', BASE, { name: 'n' }, 'scopes', 'is required'],
      ['scopes as a string', 'POST', BASE, { name: 'n', scopes: READ }, 'scopes', 'must be an array'],
      ['a malformed scope', 'POST', BASE, { name: 'n', scopes: ['not a scope'] }, 'scopes', expect.stringContaining('resource:action')],
      ['an unknown field', 'POST', BASE, { name: 'n', scopes: [READ], userId: 'x' }, 'userId', 'is not allowed'],
      ['a non-numeric page', 'GET', `${BASE}?page=abc`, undefined, 'page', 'must be an integer number'],
      ['a fractional page', 'GET', `${BASE}?page=1.5`, undefined, 'page', 'must be an integer number'],
      ['a page too far', 'GET', `${BASE}?page=1000001`, undefined, 'page', 'must not be greater than 1000000'],
      ['introspection without a token', 'POST', '/personal-access-tokens/introspect', {}, 'token', 'is required'],
    ])('%s', async (_case, method, url, body, field, reason) => {
      const response = await t.request(method, url, {
        token: method === 'POST' && url.includes('introspect') ? admin : alice.session,
        body,
      });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([{ field, reason }]);
    });
  });

  describe('dates and ids', () => {
    it('an upper-case spelling of a token id names the same token', async () => {
      const token = await t.mintToken(alice.session);
      const upper = token.id.toUpperCase();
      const found = await t.get(`${BASE}/${upper}`, { token: alice.session });
      expect(found.status).toBe(200);
      expect(found.body.id).toBe(token.id);
      expect((await t.post(`${BASE}/${upper}/revoke`, {}, { token: alice.session })).body.status).toBe('revoked');
      const trail = await t.get(`/user/me/audit-events?tokenId=${upper}`, { token: alice.session });
      expect(trail.status).toBe(200);
    });

    it('a malformed id is a 400 that does not echo it', async () => {
      const response = await t.get(`${BASE}/not-a-uuid-secret`, { token: alice.session });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([{ field: 'id', reason: 'must be a UUID' }]);
      expect(JSON.stringify(response.body)).not.toContain('not-a-uuid-secret');
    });
  });

  describe('token names: the same name ignoring case, on every database', () => {
    it('refuses a name that differs only in case, accepts one that differs in accents', async () => {
      expect((await t.post(BASE, { name: 'Deploy', scopes: [READ] }, { token: alice.session })).status).toBe(201);
      const clash = await t.post(BASE, { name: 'deploy', scopes: [READ] }, { token: alice.session });
      expect(clash.status).toBe(409);
      expect(clash.body.code).toBe('token_name_taken');
      expect((await t.post(BASE, { name: 'café', scopes: [READ] }, { token: alice.session })).status).toBe(201);
      expect((await t.post(BASE, { name: 'cafe', scopes: [READ] }, { token: alice.session })).status).toBe(201);
      expect((await t.post(BASE, { name: 'CAFÉ', scopes: [READ] }, { token: alice.session })).status).toBe(409);
      expect(await names(alice.session)).toEqual(['Deploy', 'cafe', 'café'].sort());
    });

    it('renaming onto a taken name (in another case) is a 409 and keeps the name', async () => {
      await t.mintToken(alice.session, { name: 'prod' });
      const other = await t.mintToken(alice.session, { name: 'staging' });
      const rename = await t.patch(`${BASE}/${other.id}`, { name: 'PROD' }, { token: alice.session });
      expect(rename.status).toBe(409);
      expect((await t.get(`${BASE}/${other.id}`, { token: alice.session })).body.name).toBe('staging');
      expect((await t.patch(`${BASE}/${other.id}`, { name: 'Staging' }, { token: alice.session })).status).toBe(200);
    });
  });

  describe('the token rules agree with each other', () => {
    it('regenerating does not reopen the once-an-hour rotation window', async () => {
      const token = await t.mintToken(alice.session, { expiresIn: '30d' });
      expect((await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })).status).toBe(200);
      await t.post(`${BASE}/${token.id}/revoke`, {}, { token: alice.session });
      const regenerated = await t.post(`${BASE}/${token.id}/regenerate`, { expiresIn: '30d' }, { token: alice.session });
      expect(regenerated.status).toBe(200);
      expect(regenerated.body.rotatedAt).not.toBeNull();
      const tooSoon = await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session });
      expect(tooSoon.status).toBe(409);
      expect(tooSoon.body.code).toBe('rotation_too_soon');
      t.clock.advance(HOUR);
      expect((await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })).status).toBe(200);
    });

    it('a token without scopes is allowed everywhere: created empty or emptied, it only reads itself', async () => {
      const empty = await t.post(BASE, { name: 'identity-only', scopes: [] }, { token: alice.session });
      expect(empty.status).toBe(201);
      const emptied = await t.mintToken(alice.session, { scopes: [READ] });
      expect((await t.delete(`${BASE}/${emptied.id}/scopes`, { token: alice.session })).status).toBe(204);
      for (const token of [empty.body, emptied]) {
        const self = await t.get(`${BASE}/self`, { token: token.token });
        expect(self.status).toBe(200);
        expect(self.body.scopes).toEqual([]);
        const list = await t.get(BASE, { token: token.token });
        expect(list.status).toBe(403);
        expect(list.body.code).toBe('insufficient_scope');
      }
    });

    it('re-adding a scope the token holds answers 200, adding a new one 201', async () => {
      const token = await t.mintToken(alice.session, { scopes: [READ] });
      const again = await t.post(`${BASE}/${token.id}/scopes`, { scope: READ }, { token: alice.session });
      expect(again.status).toBe(200);
      expect(again.body.scopes).toEqual([READ]);
      const added = await t.post(`${BASE}/${token.id}/scopes`, { scope: 'user:read' }, { token: alice.session });
      expect(added.status).toBe(201);
      expect(added.body.scopes).toEqual([READ, 'user:read']);
    });
  });

  (database.name === 'sqlite' ? describe : describe.skip)('an expiry that cannot be read counts as past (SQLite stores text)', () => {
    it('the token is refused, listed as expired, and the expiry job records it', async () => {
      const token = await t.mintToken(alice.session, { expiresIn: '30d' });
      await t.app
        .get(DataSource)
        .query("UPDATE personal_access_tokens SET expires_at = '0NaN-aN-aN aN:aN:aN.NaN' WHERE id = ?", [token.id]);
      expect((await t.get(`${BASE}/self`, { token: token.token })).status).toBe(401);
      const expired = await t.get(`${BASE}?status=expired`, { token: alice.session });
      expect(expired.body.items.map((i: { id: string }) => i.id)).toContain(token.id);
      expect((await t.get(`${BASE}/${token.id}`, { token: alice.session })).body.status).toBe('expired');
      expect(await t.app.get(ExpiryJob).run()).toMatchObject({ ran: true });
      const trail = await t.get(`/admin/audit-events?tokenId=${token.id}&action=personal_access_token.expired`, { token: admin });
      expect(trail.body.items).toEqual([expect.objectContaining({ authMethod: 'system', tokenName: token.name })]);
    });
  });
});
