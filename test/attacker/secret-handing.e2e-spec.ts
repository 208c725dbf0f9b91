import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const READ = 'personal_access_tokens:read';
const WRITE = 'personal_access_tokens:write';
const ADMIN = ['admin:read', 'admin:write'];

/**
 * An attacker's view of every route that hands out a secret (create, rotate, regenerate): a
 * credential never receives a secret for more than it holds itself, nor for more than the owner's
 * role grants right now. Each refusal must also leave the target as it was: the old secret
 * still works (rotate) or the token stays revoked (regenerate).
 */
describe.each(testDatabases())('attacker: secret-handing routes on $name', (database) => {
  let t: TestApp;
  let adminSession: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    adminSession = await t.loginAdmin();
  });
  afterAll(() => t.close());

  const setRole = async (user: TestUser, role: string) => {
    const response = await t.patch(`/admin/users/${user.id}`, { role }, { token: adminSession });
    expect(response.status).toBe(200);
  };
  const revoke = async (owner: string, id: string) => {
    expect((await t.post(`${BASE}/${id}/revoke`, {}, { token: owner })).status).toBe(200);
  };
  const statusOf = async (owner: TestUser, id: string) => (await t.get(`${BASE}/${id}`, { token: owner.session })).body.status;

  describe('a narrow PAT cannot obtain the secret of a broader token', () => {
    let owner: TestUser;
    let narrow: any;
    let broad: any;

    beforeAll(async () => {
      owner = await t.createUser('admin');
      narrow = await t.mintToken(owner.session, { scopes: [WRITE], expiresIn: '30d' });
    });
    beforeEach(async () => {
      broad = await t.mintToken(owner.session, { scopes: [...ADMIN, READ], expiresIn: '7d' });
    });

    it('create: refused with token_escalation', async () => {
      const response = await t.post(BASE, { name: 'wider', scopes: ['admin:read'], expiresIn: '7d' }, { token: narrow.token });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('token_escalation');
      expect(JSON.stringify(response.body)).not.toMatch(/pat_[A-Za-z0-9]{20}/);
    });

    it('rotate: refused with token_escalation, and the broader token keeps its secret', async () => {
      const response = await t.patch(`${BASE}/${broad.id}/rotate`, { expiresIn: '1d' }, { token: narrow.token });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('token_escalation');
      expect(response.body.message).toContain('admin:read');
      expect(response.body).not.toHaveProperty('token');
      expect((await t.get('/admin/users', { token: broad.token })).status).toBe(200);
    });

    it('regenerate of a revoked broader token: refused with token_escalation, and it stays revoked', async () => {
      await revoke(owner.session, broad.id);
      const response = await t.post(`${BASE}/${broad.id}/regenerate`, { expiresIn: '1d' }, { token: narrow.token });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('token_escalation');
      expect(response.body).not.toHaveProperty('token');
      expect(await statusOf(owner, broad.id)).toBe('revoked');
      expect((await t.get('/admin/users', { token: broad.token })).status).toBe(401);
    });

    it('a PAT holding every scope of the token may rotate and regenerate it, and gets a working secret', async () => {
      const wide = await t.mintToken(owner.session, { scopes: [...ADMIN, READ, WRITE], expiresIn: '30d' });
      const rotated = await t.patch(`${BASE}/${broad.id}/rotate`, { expiresIn: '1d' }, { token: wide.token });
      expect(rotated.status).toBe(200);
      expect((await t.get('/admin/users', { token: rotated.body.token })).status).toBe(200);
      expect((await t.get('/admin/users', { token: broad.token })).status).toBe(401);
      await revoke(owner.session, broad.id);
      const regenerated = await t.post(`${BASE}/${broad.id}/regenerate`, { expiresIn: '1d' }, { token: wide.token });
      expect(regenerated.status).toBe(200);
      expect((await t.get('/admin/users', { token: regenerated.body.token })).status).toBe(200);
    });
  });

  describe('entity-scoped coverage, as create applies it', () => {
    let owner: TestUser;

    beforeAll(async () => {
      owner = await t.createUser('member');
    });

    it('a PAT with reports:read may rotate a token with reports:read:42 (the broader grant covers the entity)', async () => {
      const caller = await t.mintToken(owner.session, { scopes: [WRITE, 'reports:read'], expiresIn: '30d' });
      const target = await t.mintToken(owner.session, { scopes: ['reports:read:42'], expiresIn: '7d' });
      const response = await t.patch(`${BASE}/${target.id}/rotate`, { expiresIn: '1d' }, { token: caller.token });
      expect(response.status).toBe(200);
      expect(response.body.scopes).toEqual(['reports:read:42']);
    });

    it('a PAT with only reports:read:42 may not rotate or regenerate a token with reports:read', async () => {
      const caller = await t.mintToken(owner.session, { scopes: [WRITE, 'reports:read:42'], expiresIn: '30d' });
      const target = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '7d' });
      const rotated = await t.patch(`${BASE}/${target.id}/rotate`, { expiresIn: '1d' }, { token: caller.token });
      expect(rotated.status).toBe(403);
      expect(rotated.body.code).toBe('token_escalation');
      await revoke(owner.session, target.id);
      const regenerated = await t.post(`${BASE}/${target.id}/regenerate`, { expiresIn: '1d' }, { token: caller.token });
      expect(regenerated.status).toBe(403);
      expect(regenerated.body.code).toBe('token_escalation');
      expect(await statusOf(owner, target.id)).toBe('revoked');
    });
  });

  describe("no secret outlives the calling PAT's own expiry", () => {
    let owner: TestUser;
    let shortLived: any;

    beforeAll(async () => {
      owner = await t.createUser('member');
      shortLived = await t.mintToken(owner.session, { scopes: [WRITE, 'reports:read'], expiresIn: '1d' });
    });

    const routes: [string, (id: string) => { method: string; url: string; body: unknown }][] = [
      ['create', (id) => ({ method: 'POST', url: BASE, body: { name: `long-${id}`, scopes: ['reports:read'], expiresIn: '30d' } })],
      ['rotate', (id) => ({ method: 'PATCH', url: `${BASE}/${id}/rotate`, body: { expiresIn: '30d' } })],
      ['regenerate', (id) => ({ method: 'POST', url: `${BASE}/${id}/regenerate`, body: { expiresIn: '30d' } })],
    ];
    it.each(routes)('%s with a lifetime beyond the caller: token_escalation', async (route, build) => {
      const target = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '7d' });
      if (route === 'regenerate') await revoke(owner.session, target.id);
      const { method, url, body } = build(target.id);
      const response = await t.request(method, url, { token: shortLived.token, body });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('token_escalation');
      expect(response.body).not.toHaveProperty('token');
    });
  });

  describe("the owner's current role, not the one the token was made under", () => {
    it('a demoted owner cannot regenerate a revoked admin token: scope_not_grantable, as create says', async () => {
      const owner = await t.createUser('admin');
      const broad = await t.mintToken(owner.session, { scopes: ADMIN, expiresIn: '7d' });
      await revoke(owner.session, broad.id);
      await setRole(owner, 'member');
      const create = await t.post(BASE, { name: 'again', scopes: ['admin:read'], expiresIn: '7d' }, { token: owner.session });
      const regenerate = await t.post(`${BASE}/${broad.id}/regenerate`, { expiresIn: '7d' }, { token: owner.session });
      expect(regenerate.status).toBe(403);
      expect(regenerate.body.code).toBe('scope_not_grantable');
      expect(regenerate.body.code).toBe(create.body.code);
      expect(regenerate.body).not.toHaveProperty('token');
      expect(await statusOf(owner, broad.id)).toBe('revoked');
    });

    it('a demoted owner cannot rotate an admin token into a fresh secret either', async () => {
      const owner = await t.createUser('admin');
      const broad = await t.mintToken(owner.session, { scopes: ADMIN, expiresIn: '7d' });
      await setRole(owner, 'member');
      const response = await t.patch(`${BASE}/${broad.id}/rotate`, { expiresIn: '1d' }, { token: owner.session });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('scope_not_grantable');
      expect(response.body).not.toHaveProperty('token');
    });

    it('a member may still regenerate a token whose scopes the role grants', async () => {
      const owner = await t.createUser('member');
      const token = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '7d' });
      await revoke(owner.session, token.id);
      const response = await t.post(`${BASE}/${token.id}/regenerate`, { expiresIn: '7d' }, { token: owner.session });
      expect(response.status).toBe(200);
      expect((await t.get(`${BASE}/self`, { token: response.body.token })).status).toBe(200);
    });
  });

  describe('a token acting on itself', () => {
    it('a user demoted to a role without personal_access_tokens:write cannot rotate their token with itself', async () => {
      const owner = await t.createUser('member');
      const token = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '7d' });
      await setRole(owner, 'viewer');
      const response = await t.patch(`${BASE}/${token.id}/rotate`, { expiresIn: '1d' }, { token: token.token });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('insufficient_scope');
      expect(response.body).not.toHaveProperty('token');
      // The refused rotation changed nothing: the secret still opens what the viewer role allows.
      expect((await t.get(`${BASE}/self`, { token: token.token })).status).toBe(200);
    });

    it('a token without personal_access_tokens:write may rotate itself, with its id in any case', async () => {
      const owner = await t.createUser('member');
      const token = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '7d' });
      const response = await t.patch(`${BASE}/${token.id.toUpperCase()}/rotate`, { expiresIn: '1d' }, { token: token.token });
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(token.id);
      expect((await t.get(`${BASE}/self`, { token: response.body.token })).status).toBe(200);
      expect((await t.get(`${BASE}/self`, { token: token.token })).status).toBe(401);
    });

    it('its own id in upper case reads it too, as in lower case', async () => {
      const owner = await t.createUser('member');
      const token = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '7d' });
      const lower = await t.get(`${BASE}/${token.id}`, { token: token.token });
      const upper = await t.get(`${BASE}/${token.id.toUpperCase()}`, { token: token.token });
      expect(lower.status).toBe(200);
      expect(upper.status).toBe(200);
      expect(upper.body.id).toBe(token.id);
    });
  });
});
