import { TokenBookkeepingService } from '../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { generateTokenSecret } from '../libs/personal-access-tokens/src/tokens/token-format';
import { HOUR, SECOND } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';
const INTROSPECT = '/personal-access-tokens/introspect';
const INACTIVE = { active: false };

describe.each(testDatabases())('introspection and gateway verification on $name', (database) => {
  let t: TestApp;
  let admin: string;
  /** The gateway's credential: an admin PAT (INTROSPECT_TOKENS) with only tokens:introspect. */
  let gateway: string;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, { introspectionRateLimit: { limit: 60, windowSeconds: 60 } });
    admin = await t.loginAdmin();
    gateway = (await t.mintToken(admin, { name: 'gateway', scopes: ['tokens:introspect'] })).token;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    // A fresh rate-limit window for every test.
    t.clock.advance(60 * SECOND);
    alice = await t.createUser('member');
  });

  const introspect = (token: unknown, caller = gateway) => t.post(INTROSPECT, { token }, { token: caller });
  const mint = (body: Record<string, unknown> = {}) =>
    t.mintToken(alice.session, { name: 'ci', scopes: ['personal_access_tokens:read', 'reports:read'], ...body });
  const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

  describe('POST /personal-access-tokens/introspect', () => {
    it('describes a live token in RFC 7662 terms, without counting a use of it', async () => {
      const token = await mint({ expiresIn: '30d' });
      const response = await introspect(token.token);
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        active: true,
        scope: 'personal_access_tokens:read reports:read',
        sub: alice.id,
        username: alice.email,
        exp: seconds(token.expiresAt),
        iat: seconds(token.createdAt),
        token_type: 'Bearer',
        token_name: 'ci',
        jti: token.id,
      });
      const after = await t.get(`${BASE}/${token.id}`, { token: alice.session });
      expect(after.body.lastUsedAt).toBeNull();
      // Whereas a gateway check is a use (the control that makes the line above meaningful).
      expect((await t.request('GET', '/auth/verify', { token: token.token })).status).toBe(200);
      await t.app.get(TokenBookkeepingService).settled(); // the use is recorded after the answer, off the request's path
      const used = await t.get(`${BASE}/${token.id}`, { token: alice.session });
      expect(used.body.lastUsedAt).toBe(t.clock.now().toISOString());
    });

    it('accepts a form-encoded body too', async () => {
      const token = await mint();
      const response = await t.request('POST', INTROSPECT, {
        token: gateway,
        body: `token=${encodeURIComponent(token.token)}&token_type_hint=access_token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ active: true, jti: token.id });
    });

    it('answers exactly {"active": false} for expired, revoked, unknown, malformed and orphaned tokens', async () => {
      const expired = await mint({ name: 'short', expiresIn: '1h' });
      const revoked = await mint({ name: 'revoked' });
      await t.post(`${BASE}/${revoked.id}/revoke`, {}, { token: alice.session });
      const bob = await t.createUser('member');
      const orphaned = await t.mintToken(bob.session);
      expect((await t.patch(`/admin/users/${bob.id}`, { active: false }, { token: admin })).status).toBe(200);
      t.clock.advance(2 * HOUR);

      const candidates = [
        expired.token,
        revoked.token,
        orphaned.token,
        generateTokenSecret('pat_'),
        expired.token.slice(0, -1) + (expired.token.endsWith('A') ? 'B' : 'A'),
        'hello',
        '',
        'pat_' + 'x'.repeat(3000),
        alice.session,
      ];
      for (const candidate of candidates) {
        const response = await introspect(candidate);
        expect(response.status).toBe(200);
        expect(response.body).toEqual(INACTIVE);
      }
    });

    it('refuses callers without the privilege or the scope', async () => {
      const token = await mint();
      // A member has no INTROSPECT_TOKENS privilege, whatever credential it uses.
      const member = await introspect(token.token, alice.session);
      expect(member.status).toBe(403);
      expect(member.body.code).toBe('missing_privilege');
      // An admin token without tokens:introspect.
      const adminPat = (await t.mintToken(admin, { scopes: ['admin:read'] })).token;
      const unscoped = await introspect(token.token, adminPat);
      expect(unscoped.status).toBe(403);
      expect(unscoped.body.code).toBe('insufficient_scope');
      expect((await t.post(INTROSPECT, { token: token.token })).status).toBe(401);
      // A member cannot even mint the scope.
      const minted = await t.post(BASE, { name: 'x', scopes: ['tokens:introspect'] }, { token: alice.session });
      expect(minted.status).toBe(403);
    });

    it('requires a token field and refuses access_token in the body', async () => {
      expect((await t.post(INTROSPECT, {}, { token: gateway })).status).toBe(400);
      expect((await t.post(INTROSPECT, { access_token: 'pat_x' }, { token: gateway })).status).toBe(400);
    });

    it('is rate limited per caller', async () => {
      const token = await mint();
      let limited;
      for (let i = 0; i < 61 && !limited; i++) {
        const response = await introspect(token.token);
        if (response.status === 429) limited = response;
      }
      expect(limited).toBeDefined();
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited!.body.code).toBe('rate_limited');
      t.clock.advance(61 * SECOND);
      expect((await introspect(token.token)).status).toBe(200);
    });
  });

  describe('GET /auth/verify', () => {
    const verify = (authorization?: string, query = '') =>
      t.request('GET', `/auth/verify${query}`, { headers: authorization === undefined ? {} : { authorization } });

    it('answers 200 with the identity headers and an empty body for a live token', async () => {
      const token = await mint();
      const response = await verify(`Bearer ${token.token}`);
      expect(response.status).toBe(200);
      expect(response.body).toBe('');
      expect(response.headers['x-user-id']).toBe(alice.id);
      expect(response.headers['x-user-email']).toBe(alice.email);
      expect(response.headers['x-token-id']).toBe(token.id);
      expect(response.headers['x-token-scopes']).toBe('personal_access_tokens:read reports:read');
    });

    it('checks a required scope given by the gateway', async () => {
      const token = await mint();
      expect((await verify(`Bearer ${token.token}`, '?scope=reports:read')).status).toBe(200);
      const refused = await verify(`Bearer ${token.token}`, '?scope=reports:delete');
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toBe(
        'Bearer realm="personal-access-tokens", error="insufficient_scope", scope="reports:delete"',
      );
    });

    it('answers 401 with RFC 6750 challenges for everything else', async () => {
      const expired = await mint({ name: 'short', expiresIn: '1h' });
      const revoked = await mint({ name: 'revoked' });
      await t.post(`${BASE}/${revoked.id}/revoke`, {}, { token: alice.session });
      t.clock.advance(2 * HOUR);

      const missing = await verify();
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="personal-access-tokens"');
      for (const secret of [expired.token, revoked.token, generateTokenSecret('pat_'), 'pat_short', alice.session]) {
        const response = await verify(`Bearer ${secret}`);
        expect(response.status).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="personal-access-tokens", error="invalid_token"/);
        expect(response.headers['x-user-id']).toBeUndefined();
      }
      // Malformed: still 401 (auth_request accepts only 2xx, 401 and 403), with invalid_request.
      const malformed = await verify('Bearer a b');
      expect(malformed.status).toBe(401);
      expect(malformed.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    });
  });
});
