import { TokenBookkeepingService } from '../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { DAY, HOUR, SECOND } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';
const READ = 'personal_access_tokens:read';
const WRITE = 'personal_access_tokens:write';

describe.each(testDatabases())('personal access tokens on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      policy: {
        defaultLifetimeDays: 90,
        maxLifetimeDays: 365,
        allowNoExpiry: false,
        maxActiveTokensPerUser: 5,
        rotationIntervalSeconds: 3600,
      },
    });
    admin = await t.loginAdmin();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    alice = await t.createUser('member');
  });

  const lifetimeDays = (token: { createdAt: string; expiresAt: string }) =>
    (new Date(token.expiresAt).getTime() - new Date(token.createdAt).getTime()) / DAY;

  describe('create', () => {
    it('answers 201 with the metadata and the secret, once', async () => {
      const response = await t.post(BASE, { name: 'ci', description: 'deploys', scopes: [READ, 'reports:read'] }, { token: alice.session });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'ci',
        description: 'deploys',
        scopes: [READ, 'reports:read'],
        status: 'active',
        lastUsedAt: null,
        token: expect.stringMatching(/^pat_[0-9A-Za-z]{38}$/),
      });
      expect(lifetimeDays(response.body)).toBe(90);
      const fetched = await t.get(`${BASE}/${response.body.id}`, { token: alice.session });
      expect(fetched.body.token).toBeUndefined();
      expect(JSON.stringify(fetched.body)).not.toContain(response.body.token);
      expect(JSON.stringify(fetched.body)).not.toMatch(/digest/);
    });

    it.each([
      ['1h', 1 / 24],
      ['1d', 1],
      ['7d', 7],
      ['30d', 30],
      ['60d', 60],
      ['90d', 90],
    ])('expiresIn %s', async (expiresIn, days) => {
      const token = await t.mintToken(alice.session, { expiresIn });
      expect(lifetimeDays(token)).toBeCloseTo(days, 6);
    });

    it('takes a custom future expiresAt, refuses a past or too distant one', async () => {
      const at = new Date(t.clock.now().getTime() + 10 * DAY).toISOString();
      expect((await t.mintToken(alice.session, { expiresAt: at })).expiresAt).toBe(at);
      const past = await t.post(
        BASE,
        { name: 'p', scopes: [READ], expiresAt: new Date(t.clock.now().getTime() - SECOND).toISOString() },
        { token: alice.session },
      );
      expect(past.status).toBe(400);
      expect(past.body.code).toBe('expiry_in_past');
      const far = await t.post(
        BASE,
        { name: 'f', scopes: [READ], expiresAt: new Date(t.clock.now().getTime() + 366 * DAY).toISOString() },
        { token: alice.session },
      );
      expect(far.status).toBe(400);
      expect(far.body.code).toBe('expiry_too_far');
      const both = await t.post(BASE, { name: 'b', scopes: [READ], expiresIn: '1d', expiresAt: at }, { token: alice.session });
      expect(both.body.code).toBe('expiry_conflict');
      const garbage = await t.post(BASE, { name: 'g', scopes: [READ], expiresAt: 'tomorrow' }, { token: alice.session });
      expect(garbage.status).toBe(400);
      expect(garbage.body.details).toEqual([{ field: 'expiresAt', reason: expect.stringMatching(/ISO 8601/) }]);
    });

    it('refuses no-expiry tokens unless the policy allows them', async () => {
      const response = await t.post(BASE, { name: 'forever', scopes: [READ], expiresAt: null }, { token: alice.session });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('expiry_required');
    });

    it('validates name and scopes', async () => {
      const cases = [
        [{ scopes: [READ] }, 'name'],
        [{ name: '', scopes: [READ] }, 'name'],
        [{ name: 'x'.repeat(101), scopes: [READ] }, 'name'],
        [{ name: 'n', scopes: ['not a scope'] }, 'scopes'],
        [{ name: 'n', scopes: ['unknown:thing'] }, 'scopes'],
        [{ name: 'n', scopes: [READ], userId: alice.id }, 'userId'],
        [{ name: 'n', scopes: [READ], status: 'active' }, 'status'],
      ] as const;
      for (const [body, field] of cases) {
        const response = await t.post(BASE, body, { token: alice.session });
        expect(response.status).toBe(400);
        expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      }
    });

    it('keeps names unique per user (409), not across users', async () => {
      await t.mintToken(alice.session, { name: 'deploy' });
      const clash = await t.post(BASE, { name: 'deploy', scopes: [READ] }, { token: alice.session });
      expect(clash.status).toBe(409);
      expect(clash.body.code).toBe('token_name_taken');
      const bob = await t.createUser('member');
      expect((await t.post(BASE, { name: 'deploy', scopes: [READ] }, { token: bob.session })).status).toBe(201);
    });

    it('caps live tokens per user; revoked and expired ones do not count', async () => {
      const tokens = [];
      for (let i = 0; i < 5; i++) tokens.push(await t.mintToken(alice.session, { expiresIn: i === 0 ? '1h' : '30d' }));
      const over = await t.post(BASE, { name: 'sixth', scopes: [READ] }, { token: alice.session });
      expect(over.status).toBe(409);
      expect(over.body.code).toBe('token_limit_reached');
      await t.post(`${BASE}/${tokens[1].id}/revoke`, {}, { token: alice.session });
      expect((await t.post(BASE, { name: 'sixth', scopes: [READ] }, { token: alice.session })).status).toBe(201);
      t.clock.advance(HOUR);
      expect((await t.post(BASE, { name: 'seventh', scopes: [READ] }, { token: alice.session })).status).toBe(201);
    });

    it('parallel creates cannot exceed the cap', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => t.post(BASE, { name: `parallel-${i}`, scopes: [READ] }, { token: alice.session })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      expect(results.filter((r) => r.status === 409)).toHaveLength(7);
      expect((await t.get(`${BASE}?status=active`, { token: alice.session })).body.total).toBe(5);
    });

    it('needs the GENERATE privilege: a viewer cannot create tokens', async () => {
      const viewer = await t.createUser('viewer');
      const response = await t.post(BASE, { name: 'v', scopes: ['reports:read'] }, { token: viewer.session });
      expect(response.status).toBe(403);
    });

    it('refuses scopes beyond the role', async () => {
      const response = await t.post(BASE, { name: 'sneaky', scopes: [READ, 'admin:write'] }, { token: alice.session });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('scope_not_grantable');
    });
  });

  describe('use', () => {
    it('refuses a token the instant it expires, before any job runs', async () => {
      const token = await t.mintToken(alice.session, { expiresIn: '1h', scopes: ['user:read'] });
      t.clock.advance(HOUR - SECOND);
      expect((await t.get('/user/me', { token: token.token })).status).toBe(200);
      t.clock.advance(SECOND);
      const expired = await t.get('/user/me', { token: token.token });
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('invalid_token');
      const listed = await t.get(`${BASE}/${token.id}`, { token: alice.session });
      expect(listed.body.status).toBe('expired');
    });

    it('records last use at most once a minute', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      await t.get('/user/me', { token: token.token, ip: '10.1.2.3' });
      const settle = () => t.app.get(TokenBookkeepingService).settled(); // the use is written after the answer
      await settle();
      const first = (await t.get(`${BASE}/${token.id}`, { token: alice.session })).body;
      expect(first.lastUsedAt).toBe(t.clock.now().toISOString());
      expect(first.lastUsedIp).toBe('10.1.2.3');
      t.clock.advance(30 * SECOND);
      await t.get('/user/me', { token: token.token, ip: '10.9.9.9' });
      await settle();
      expect((await t.get(`${BASE}/${token.id}`, { token: alice.session })).body.lastUsedIp).toBe('10.1.2.3');
      t.clock.advance(31 * SECOND);
      await t.get('/user/me', { token: token.token, ip: '10.9.9.9' });
      await settle();
      expect((await t.get(`${BASE}/${token.id}`, { token: alice.session })).body.lastUsedIp).toBe('10.9.9.9');
    });

    it('carries GitHub-style scope headers on PAT requests', async () => {
      const token = await t.mintToken(alice.session, { scopes: [READ, 'user:read'], expiresIn: '7d' });
      const response = await t.get(BASE, { token: token.token });
      expect(response.status).toBe(200);
      expect(response.headers['x-oauth-scopes']).toBe(`${READ}, user:read`);
      expect(response.headers['x-accepted-oauth-scopes']).toBe(READ);
      expect(response.headers['x-token-expires-at']).toBe(token.expiresAt);
    });

    it('answers 403 insufficient_scope with the RFC 6750 challenge', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      const response = await t.get(BASE, { token: token.token });
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toBe(
        `Bearer realm="personal-access-tokens", error="insufficient_scope", scope="${READ}"`,
      );
    });

    it('shrinks live tokens at once when the role is downgraded', async () => {
      const token = await t.mintToken(alice.session, { scopes: [READ, WRITE] });
      expect((await t.get(BASE, { token: token.token })).status).toBe(200);
      expect((await t.patch(`/admin/users/${alice.id}`, { role: 'viewer' }, { token: admin })).status).toBe(200);
      // The viewer role still reads, but no longer writes.
      expect((await t.get(BASE, { token: token.token })).status).toBe(200);
      const own = await t.patch(`${BASE}/${token.id}`, { description: 'x' }, { token: token.token });
      expect(own.status).toBe(403);
      expect(own.body.code).toBe('insufficient_scope');
    });
  });

  describe('list', () => {
    it('lists newest first with status filter, search, sort and pagination, and no secrets', async () => {
      const a = await t.mintToken(alice.session, { name: 'alpha-build', expiresIn: '1h' });
      t.clock.advance(SECOND);
      const b = await t.mintToken(alice.session, { name: 'beta_deploy', expiresIn: '30d' });
      t.clock.advance(SECOND);
      const c = await t.mintToken(alice.session, { name: 'gamma-build', expiresIn: '7d' });
      await t.post(`${BASE}/${b.id}/revoke`, {}, { token: alice.session });
      t.clock.advance(HOUR);

      const all = await t.get(BASE, { token: alice.session });
      expect(all.body).toMatchObject({ total: 3, page: 1, pageSize: 20 });
      expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([c.id, b.id, a.id]);
      expect(JSON.stringify(all.body)).not.toMatch(/pat_[0-9A-Za-z]{38}|digest/);

      const ids = async (query: string) =>
        (await t.get(`${BASE}?${query}`, { token: alice.session })).body.items.map((i: { id: string }) => i.id);
      expect(await ids('status=active')).toEqual([c.id]);
      expect(await ids('status=expired')).toEqual([a.id]);
      expect(await ids('status=revoked')).toEqual([b.id]);
      expect(await ids('search=build')).toEqual([c.id, a.id]);
      expect(await ids('search=_')).toEqual([b.id]);
      expect(await ids('sort=expiresAt&order=asc')).toEqual([a.id, c.id, b.id]);
      expect(await ids('pageSize=2&page=2')).toEqual([a.id]);
      expect((await t.get(`${BASE}?pageSize=500`, { token: alice.session })).status).toBe(400);
      expect((await t.get(`${BASE}?status=weird`, { token: alice.session })).status).toBe(400);
    });

    it('GET /self describes the calling token; a session gets a clear 403', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      const self = await t.get(`${BASE}/self`, { token: token.token });
      expect(self.status).toBe(200);
      expect(self.body).toMatchObject({ id: token.id, name: token.name, scopes: ['user:read'] });
      const session = await t.get(`${BASE}/self`, { token: alice.session });
      expect(session.status).toBe(403);
      expect(session.body.code).toBe('not_a_token_request');
    });
  });

  describe('update', () => {
    it('renames, describes and re-scopes, but never changes the expiry', async () => {
      const token = await t.mintToken(alice.session, { name: 'old' });
      const updated = await t.patch(
        `${BASE}/${token.id}`,
        { name: 'new', description: 'desc', scopes: ['reports:read', 'user:read'] },
        { token: alice.session },
      );
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        name: 'new',
        description: 'desc',
        scopes: ['reports:read', 'user:read'],
        expiresAt: token.expiresAt,
      });
      const extend = await t.patch(
        `${BASE}/${token.id}`,
        { expiresAt: new Date(t.clock.now().getTime() + 300 * DAY).toISOString() },
        { token: alice.session },
      );
      expect(extend.status).toBe(400);
      expect(extend.body.details[0]).toMatchObject({ field: 'expiresAt', reason: expect.stringMatching(/cannot be extended/) });
      expect((await t.patch(`${BASE}/${token.id}`, { expiresIn: '90d' }, { token: alice.session })).status).toBe(400);
      expect((await t.patch(`${BASE}/${token.id}`, { scopes: ['admin:read'] }, { token: alice.session })).body.code).toBe(
        'scope_not_grantable',
      );
      await t.mintToken(alice.session, { name: 'taken' });
      expect((await t.patch(`${BASE}/${token.id}`, { name: 'taken' }, { token: alice.session })).status).toBe(409);
    });
  });

  describe('revoke and delete', () => {
    it('revocation bites on the very next request', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      expect((await t.get('/user/me', { token: token.token })).status).toBe(200);
      const revoked = await t.post(`${BASE}/${token.id}/revoke`, {}, { token: alice.session });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ status: 'revoked', revokedAt: t.clock.now().toISOString() });
      expect((await t.get('/user/me', { token: token.token })).status).toBe(401);
      expect((await t.post(`${BASE}/${token.id}/revoke`, {}, { token: alice.session })).body.revokedAt).toBe(revoked.body.revokedAt);
    });

    it('a token may revoke itself', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      expect((await t.post(`${BASE}/${token.id}/revoke`, {}, { token: token.token })).status).toBe(200);
      expect((await t.get('/user/me', { token: token.token })).status).toBe(401);
    });

    it('deletes one token, then all of them', async () => {
      const one = await t.mintToken(alice.session, { scopes: ['user:read'] });
      await t.mintToken(alice.session);
      await t.mintToken(alice.session);
      expect((await t.delete(`${BASE}/${one.id}`, { token: alice.session })).status).toBe(204);
      expect((await t.get(`${BASE}/${one.id}`, { token: alice.session })).status).toBe(404);
      expect((await t.get('/user/me', { token: one.token })).status).toBe(401);
      expect((await t.delete(`${BASE}/${one.id}`, { token: alice.session })).status).toBe(404);
      expect((await t.delete(BASE, { token: alice.session })).status).toBe(204);
      expect((await t.get(BASE, { token: alice.session })).body.total).toBe(0);
    });
  });

  describe('rotate', () => {
    it('gives a new secret with the same id, name and scopes; the old one dies at once', async () => {
      const token = await t.mintToken(alice.session, { name: 'rotating', scopes: ['user:read', READ], expiresIn: '30d' });
      const expiresAt = new Date(t.clock.now().getTime() + 60 * DAY).toISOString();
      const rotated = await t.patch(`${BASE}/${token.id}/rotate`, { expiresAt }, { token: alice.session });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({
        id: token.id,
        name: 'rotating',
        scopes: [READ, 'user:read'],
        expiresAt,
        rotatedAt: t.clock.now().toISOString(),
      });
      expect(rotated.body.token).not.toBe(token.token);
      expect((await t.get('/user/me', { token: rotated.body.token })).status).toBe(200);
    });

    it('detects reuse: the rotated-away secret presented again revokes the token', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '30d' });
      const rotated = (await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })).body;
      const reuse = await t.get('/user/me', { token: token.token });
      expect(reuse.status).toBe(401);
      expect((await t.get('/user/me', { token: rotated.token })).status).toBe(401);
      expect((await t.get(`${BASE}/${token.id}`, { token: alice.session })).body.status).toBe('revoked');
    });

    it('allows one rotation per hour, and says when the next is possible', async () => {
      const token = await t.mintToken(alice.session, { expiresIn: '30d' });
      expect((await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })).status).toBe(200);
      t.clock.advance(59 * 60 * SECOND);
      const tooSoon = await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session });
      expect(tooSoon.status).toBe(409);
      expect(tooSoon.body.code).toBe('rotation_too_soon');
      expect(tooSoon.headers['retry-after']).toBe('60');
      t.clock.advance(60 * SECOND);
      expect((await t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })).status).toBe(200);
    });

    it('refuses tokens that are not active, and refuses a rotated token without expiry', async () => {
      const revoked = await t.mintToken(alice.session);
      await t.post(`${BASE}/${revoked.id}/revoke`, {}, { token: alice.session });
      const notActive = await t.patch(`${BASE}/${revoked.id}/rotate`, {}, { token: alice.session });
      expect(notActive.status).toBe(409);
      expect(notActive.body.code).toBe('token_state_conflict');
      const token = await t.mintToken(alice.session);
      expect((await t.patch(`${BASE}/${token.id}/rotate`, { expiresAt: null }, { token: alice.session })).status).toBe(400);
    });

    it('a token may rotate itself, never beyond its own expiry', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '7d' });
      const tooLong = await t.patch(`${BASE}/${token.id}/rotate`, { expiresIn: '30d' }, { token: token.token });
      expect(tooLong.status).toBe(403);
      expect(tooLong.body.code).toBe('token_escalation');
      const rotated = await t.patch(`${BASE}/${token.id}/rotate`, { expiresIn: '1d' }, { token: token.token });
      expect(rotated.status).toBe(200);
      expect((await t.get('/user/me', { token: rotated.body.token })).status).toBe(200);
    });

    it('10 parallel rotations of one token: exactly one wins', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '30d' });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })),
      );
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(9);
      expect((await t.get('/user/me', { token: winners[0].body.token })).status).toBe(200);
    });
  });

  describe('regenerate', () => {
    it('brings back a revoked token with a new secret and duration', async () => {
      const token = await t.mintToken(alice.session, { name: 'again', scopes: ['user:read'], description: 'kept' });
      await t.post(`${BASE}/${token.id}/revoke`, {}, { token: alice.session });
      const regenerated = await t.post(`${BASE}/${token.id}/regenerate`, { expiresIn: '7d' }, { token: alice.session });
      expect(regenerated.status).toBe(200);
      expect(regenerated.body).toMatchObject({
        id: token.id,
        name: 'again',
        description: 'kept',
        scopes: ['user:read'],
        status: 'active',
        revokedAt: null,
      });
      expect(lifetimeDays({ createdAt: t.clock.now().toISOString(), expiresAt: regenerated.body.expiresAt })).toBe(7);
      expect((await t.get('/user/me', { token: regenerated.body.token })).status).toBe(200);
      expect((await t.get('/user/me', { token: token.token })).status).toBe(401);
    });

    it('brings back an expired token, and refuses an active one', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '1h' });
      const active = await t.post(`${BASE}/${token.id}/regenerate`, {}, { token: alice.session });
      expect(active.status).toBe(409);
      t.clock.advance(2 * HOUR);
      const regenerated = await t.post(`${BASE}/${token.id}/regenerate`, {}, { token: alice.session });
      expect(regenerated.status).toBe(200);
      expect(regenerated.body.status).toBe('active');
      expect((await t.get('/user/me', { token: regenerated.body.token })).status).toBe(200);
    });
  });

  describe('scopes of one token', () => {
    it('lists, adds, removes one and removes all', async () => {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      const path = `${BASE}/${token.id}/scopes`;
      expect((await t.get(path, { token: alice.session })).body).toEqual({ tokenId: token.id, scopes: ['user:read'] });
      const added = await t.post(path, { scope: 'reports:read:42' }, { token: alice.session });
      expect(added.status).toBe(201);
      expect(added.body.scopes).toEqual(['reports:read:42', 'user:read']);
      expect((await t.post(path, { scope: 'admin:read' }, { token: alice.session })).status).toBe(403);
      expect((await t.post(path, { scope: 'nonsense' }, { token: alice.session })).status).toBe(400);
      expect((await t.delete(`${path}/reports:read:42`, { token: alice.session })).status).toBe(204);
      expect((await t.delete(`${path}/reports:read:42`, { token: alice.session })).status).toBe(404);
      expect((await t.delete(path, { token: alice.session })).status).toBe(204);
      expect((await t.get(path, { token: alice.session })).body.scopes).toEqual([]);
      expect((await t.get('/user/me', { token: token.token })).status).toBe(403);
    });

    it('shows the catalog with what the caller may grant', async () => {
      const response = await t.get('/scopes', { token: alice.session });
      const entries = Object.fromEntries(response.body.items.map((i: { scope: string; grantable: boolean }) => [i.scope, i.grantable]));
      expect(entries).toMatchObject({ [READ]: true, 'reports:delete': true, 'admin:write': false });
      const pat = await t.mintToken(alice.session, { scopes: ['reports:read'] });
      const viaPat = await t.get('/scopes', { token: pat.token });
      const patEntries = Object.fromEntries(viaPat.body.items.map((i: { scope: string; grantable: boolean }) => [i.scope, i.grantable]));
      expect(patEntries).toMatchObject({ 'reports:read': true, 'reports:delete': false });
    });
  });

  describe('no escalation through a PAT', () => {
    it('a PAT without write scope cannot create; with it, never beyond its own scopes or expiry', async () => {
      const readOnly = await t.mintToken(alice.session, { scopes: [READ] });
      expect((await t.post(BASE, { name: 'x', scopes: [READ] }, { token: readOnly.token })).status).toBe(403);
      const writer = await t.mintToken(alice.session, { scopes: [READ, WRITE], expiresIn: '7d' });
      const wider = await t.post(BASE, { name: 'wider', scopes: [READ, 'reports:read'], expiresIn: '1d' }, { token: writer.token });
      expect(wider.status).toBe(403);
      expect(wider.body.code).toBe('token_escalation');
      const longer = await t.post(BASE, { name: 'longer', scopes: [READ], expiresIn: '30d' }, { token: writer.token });
      expect(longer.body.code).toBe('token_escalation');
      const fine = await t.post(BASE, { name: 'fine', scopes: [READ], expiresIn: '1d' }, { token: writer.token });
      expect(fine.status).toBe(201);
      const widen = await t.post(`${BASE}/${fine.body.id}/scopes`, { scope: 'reports:read' }, { token: writer.token });
      expect(widen.body.code).toBe('token_escalation');
      const patch = await t.patch(`${BASE}/${fine.body.id}`, { scopes: ['reports:read'] }, { token: writer.token });
      expect(patch.body.code).toBe('token_escalation');
    });
  });

  describe("another user's token", () => {
    it('is a 404 on every route and changes nothing', async () => {
      const bob = await t.createUser('member');
      const bobs = await t.mintToken(bob.session, { scopes: ['user:read'], expiresIn: '30d' });
      const id = bobs.id;
      const attempts = [
        t.get(`${BASE}/${id}`, { token: alice.session }),
        t.patch(`${BASE}/${id}`, { name: 'mine' }, { token: alice.session }),
        t.delete(`${BASE}/${id}`, { token: alice.session }),
        t.post(`${BASE}/${id}/revoke`, {}, { token: alice.session }),
        t.patch(`${BASE}/${id}/rotate`, {}, { token: alice.session }),
        t.post(`${BASE}/${id}/regenerate`, {}, { token: alice.session }),
        t.get(`${BASE}/${id}/scopes`, { token: alice.session }),
        t.post(`${BASE}/${id}/scopes`, { scope: 'reports:read' }, { token: alice.session }),
        t.delete(`${BASE}/${id}/scopes`, { token: alice.session }),
        t.delete(`${BASE}/${id}/scopes/user:read`, { token: alice.session }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(404);
        expect(response.body.code).toBe('token_not_found');
      }
      await t.delete(BASE, { token: alice.session });
      const after = await t.get(`${BASE}/${id}`, { token: bob.session });
      expect(after.body).toMatchObject({ name: bobs.name, status: 'active', scopes: ['user:read'], rotatedAt: null });
      expect((await t.get('/user/me', { token: bobs.token })).status).toBe(200);
    });

    it('a malformed id is a 400', async () => {
      expect((await t.get(`${BASE}/not-a-uuid`, { token: alice.session })).status).toBe(400);
    });
  });

  it('documents every token route with its scopes and errors', async () => {
    const spec = (await t.get('/docs-json')).body;
    const routes = Object.entries(spec.paths as Record<string, Record<string, any>>).filter(([path]) => path.startsWith(BASE));
    expect(routes.length).toBeGreaterThanOrEqual(6);
    for (const [, operations] of routes) {
      for (const operation of Object.values(operations)) {
        expect(operation['x-required-scopes']).toBeDefined();
        expect(operation.responses['401']).toBeDefined();
        // A route that needs no scope (`/self`) has no scope to refuse.
        if (operation['x-required-scopes'].length) expect(operation.responses['403']).toBeDefined();
        expect(operation.security).toEqual(expect.arrayContaining([{ Bearer: [] }, { ApiKey: [] }]));
      }
    }
  });
});
