import { TokenEvents } from '../libs/personal-access-tokens/src';
import { TokenEvent } from './support/library-internals';
import { PersonalAccessToken } from '../libs/personal-access-tokens/src/tokens/personal-access-token.entity';
import { generateTokenSecret } from '../libs/personal-access-tokens/src/tokens/token-format';
import { DataSource } from 'typeorm';
import { DAY, HOUR, MINUTE } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';
const ADMIN_TOKENS = '/admin/personal-access-tokens';

describe.each(testDatabases())('admin governance and leaked credentials on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let adminId: string;
  let events: TokenEvent[];
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, { credentialRevocationRateLimit: { limit: 3, windowSeconds: 60 } });
    admin = await t.loginAdmin();
    adminId = (await t.get('/user/me', { token: admin })).body.id;
    events = [];
    t.app.get(TokenEvents).subscribe((event) => {
      events.push(event);
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    events.length = 0;
    alice = await t.createUser('member');
    bob = await t.createUser('member');
  });

  const selfStatus = async (secret: string) => (await t.get(`${BASE}/self`, { token: secret })).status;

  describe('GET /admin/personal-access-tokens', () => {
    it('lists everyone’s tokens with filters and pagination, never a secret', async () => {
      const a1 = await t.mintToken(alice.session, { name: 'alpha-deploy', expiresIn: '1h' });
      t.clock.advance(MINUTE);
      const a2 = await t.mintToken(alice.session, { name: 'alpha-read' });
      const b1 = await t.mintToken(bob.session, { name: 'bravo' });
      await t.app.get(DataSource).getRepository(PersonalAccessToken).update({ id: b1.id }, { lastUsedAt: t.clock.now() });
      t.clock.advance(2 * HOUR);

      const all = await t.get(`${ADMIN_TOKENS}?userId=${alice.id}`, { token: admin });
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ total: 2, page: 1, pageSize: 20 });
      expect(all.body.items.map((i: any) => i.id)).toEqual([a2.id, a1.id]);
      expect(JSON.stringify(all.body)).not.toContain(a1.token);

      // Effective status: past its expiry, before any job ran.
      const expired = await t.get(`${ADMIN_TOKENS}?userId=${alice.id}&status=expired`, { token: admin });
      expect(expired.body.items.map((i: any) => [i.id, i.status])).toEqual([[a1.id, 'expired']]);
      const active = await t.get(`${ADMIN_TOKENS}?userId=${alice.id}&status=active`, { token: admin });
      expect(active.body.items.map((i: any) => i.id)).toEqual([a2.id]);

      const search = await t.get(`${ADMIN_TOKENS}?search=alpha-d`, { token: admin });
      expect(search.body.items.map((i: any) => i.id)).toContain(a1.id);
      expect(search.body.items.map((i: any) => i.id)).not.toContain(a2.id);

      const createdAfter = new Date(new Date(a1.createdAt).getTime() + 1).toISOString();
      const newer = await t.get(`${ADMIN_TOKENS}?userId=${alice.id}&createdAfter=${createdAfter}`, { token: admin });
      expect(newer.body.items.map((i: any) => i.id)).toEqual([a2.id]);
      const older = await t.get(`${ADMIN_TOKENS}?userId=${alice.id}&createdBefore=${createdAfter}`, { token: admin });
      expect(older.body.items.map((i: any) => i.id)).toEqual([a1.id]);

      const usedBefore = await t.get(`${ADMIN_TOKENS}?lastUsedBefore=${t.clock.now().toISOString()}&userId=${bob.id}`, { token: admin });
      expect(usedBefore.body.items.map((i: any) => i.id)).toEqual([b1.id]);
      const usedAfter = await t.get(`${ADMIN_TOKENS}?lastUsedAfter=${t.clock.now().toISOString()}&userId=${bob.id}`, { token: admin });
      expect(usedAfter.body.total).toBe(0);

      const page2 = await t.get(`${ADMIN_TOKENS}?userId=${alice.id}&page=2&pageSize=1`, { token: admin });
      expect(page2.body).toMatchObject({ total: 2, page: 2, pageSize: 1 });
      expect(page2.body.items.map((i: any) => i.id)).toEqual([a1.id]);
    });

    it('validates the filters', async () => {
      for (const query of ['status=gone', 'userId=42', 'createdAfter=yesterday', 'pageSize=101']) {
        const response = await t.get(`${ADMIN_TOKENS}?${query}`, { token: admin });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('validation_failed');
      }
    });
  });

  describe('refusals', () => {
    it('refuses non-admins and admin tokens without the admin scopes', async () => {
      const token = await t.mintToken(alice.session);
      const routes: Array<[string, string]> = [
        ['GET', ADMIN_TOKENS],
        ['POST', `${ADMIN_TOKENS}/${token.id}/revoke`],
        ['POST', `/admin/users/${alice.id}/personal-access-tokens/revoke`],
      ];
      const readOnlyAdminPat = (await t.mintToken(admin, { scopes: ['admin:read'] })).token;
      for (const [method, url] of routes) {
        const member = await t.request(method, url, { token: bob.session, body: method === 'POST' ? {} : undefined });
        expect(member.status).toBe(403);
        expect(member.body.code).toBe('missing_privilege');
        expect((await t.request(method, url, { body: method === 'POST' ? {} : undefined })).status).toBe(401);
        if (method === 'POST') {
          const scoped = await t.request(method, url, { token: readOnlyAdminPat, body: {} });
          expect(scoped.status).toBe(403);
          expect(scoped.body.code).toBe('insufficient_scope');
        }
      }
      expect((await t.get(ADMIN_TOKENS, { token: readOnlyAdminPat })).status).toBe(200);
      expect(await selfStatus(token.token)).toBe(200);
    });
  });

  describe('POST /admin/personal-access-tokens/:id/revoke', () => {
    it('revokes any user’s token at once, and says who did it', async () => {
      const token = await t.mintToken(alice.session);
      const response = await t.post(`${ADMIN_TOKENS}/${token.id}/revoke`, {}, { token: admin });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: token.id, userId: alice.id, status: 'revoked' });
      expect(await selfStatus(token.token)).toBe(401);
      expect(events.filter((e) => e.type === 'token.revoked')).toEqual([
        expect.objectContaining({ tokenId: token.id, userId: alice.id, actor: { type: 'user', userId: adminId } }),
      ]);
      // Again: nothing changes, no second event.
      expect((await t.post(`${ADMIN_TOKENS}/${token.id}/revoke`, {}, { token: admin })).status).toBe(200);
      expect(events.filter((e) => e.type === 'token.revoked')).toHaveLength(1);
    });

    it('answers 404 for an unknown token', async () => {
      const response = await t.post(`${ADMIN_TOKENS}/00000000-0000-4000-8000-00000000abcd/revoke`, {}, { token: admin });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('token_not_found');
    });
  });

  describe('POST /admin/users/:id/personal-access-tokens/revoke', () => {
    it('ends all of a user’s tokens and sessions at once, keeping the account', async () => {
      const first = await t.mintToken(alice.session);
      const second = await t.mintToken(alice.session);
      const otherSession = (await t.post('/auth/login', { email: alice.email, password: alice.password })).body.accessToken;
      const bobs = await t.mintToken(bob.session);

      const response = await t.post(`/admin/users/${alice.id}/personal-access-tokens/revoke`, {}, { token: admin });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ userId: alice.id, revokedTokens: 2, endedSessions: 2 });
      for (const secret of [first.token, second.token, alice.session, otherSession]) {
        expect((await t.get('/user/me', { token: secret })).status).toBe(401);
      }
      expect(
        events
          .filter((e) => e.type === 'token.revoked')
          .map((e) => e.tokenId)
          .sort(),
      ).toEqual([first.id, second.id].sort());
      // Bob is untouched; Alice's account still exists and she can log in again.
      expect(await selfStatus(bobs.token)).toBe(200);
      expect((await t.get(`/admin/users/${alice.id}`, { token: admin })).body).toMatchObject({ id: alice.id, active: true });
      expect((await t.post('/auth/login', { email: alice.email, password: alice.password })).status).toBe(200);
    });

    it('answers 404 for an unknown user', async () => {
      const response = await t.post(
        '/admin/users/00000000-0000-4000-8000-00000000abcd/personal-access-tokens/revoke',
        {},
        { token: admin },
      );
      expect(response.status).toBe(404);
    });
  });

  describe('POST /credentials/revoke', () => {
    let ip = 0;
    const report = (credentials: unknown, from = `198.51.100.${++ip}`) => t.post('/credentials/revoke', { credentials }, { ip: from });

    it('answers 202 whatever it is given, and revokes only live tokens', async () => {
      const leaked = await t.mintToken(alice.session);
      const innocent = await t.mintToken(alice.session);
      const expired = await t.mintToken(bob.session, { expiresIn: '1h' });
      const revoked = await t.mintToken(bob.session);
      await t.post(`${BASE}/${revoked.id}/revoke`, {}, { token: bob.session });
      t.clock.advance(2 * HOUR);
      events.length = 0;

      const inputs = [
        [leaked.token, leaked.token],
        [],
        ['not a token', '', 'pat_', generateTokenSecret('pat_'), leaked.token.slice(0, -1) + (leaked.token.endsWith('A') ? 'B' : 'A')],
        [expired.token, revoked.token, bob.session, 'x'.repeat(5000)],
        Array.from({ length: 1000 }, () => generateTokenSecret('pat_')),
      ];
      for (const credentials of inputs) {
        const response = await report(credentials);
        expect(response.status).toBe(202);
        expect(response.body).toBe('');
      }
      expect(await selfStatus(leaked.token)).toBe(401);
      expect(await selfStatus(innocent.token)).toBe(200);
      expect((await t.get('/user/me', { token: bob.session })).status).toBe(200);
      expect(events.filter((e) => e.type === 'token.leaked_revoked')).toEqual([
        expect.objectContaining({ tokenId: leaked.id, userId: alice.id, actor: { type: 'system' } }),
      ]);
      expect(events.filter((e) => e.type !== 'token.leaked_revoked')).toEqual([]);
      const listed = await t.get(`${BASE}/${leaked.id}`, { token: alice.session });
      expect(listed.body.status).toBe('revoked');
    });

    it('takes at most 1000 credentials, as strings', async () => {
      expect((await report(Array.from({ length: 1001 }, () => 'x'))).status).toBe(400);
      expect((await report('pat_x')).status).toBe(400);
      expect((await report([42])).status).toBe(400);
    });

    it('is strictly rate limited per IP', async () => {
      const from = '203.0.113.9';
      for (let i = 0; i < 3; i++) expect((await report([], from)).status).toBe(202);
      const limited = await report([], from);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await report([], '203.0.113.10')).status).toBe(202);
      t.clock.advance(DAY);
      expect((await report([], from)).status).toBe(202);
    });
  });
});
