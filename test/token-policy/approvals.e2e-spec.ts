import { DEFAULT_POLICY, TokenEvents } from '../../libs/personal-access-tokens/src';
import { ExpiryJob, TokenEvent } from '../support/library-internals';
import { HOUR } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const REQUESTS = '/admin/personal-access-token-requests';
const PRODUCT_SCOPES = [
  { resource: 'reports', description: 'Reports', actions: ['read', 'create', 'delete'] },
  { resource: 'billing', description: 'Billing', actions: ['read', 'write'], requiresApproval: ['write'] },
];

describe.each(testDatabases())('approval of sensitive scopes on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let user: TestUser;
  const events: TokenEvent[] = [];

  beforeAll(async () => {
    t = await TestApp.start(database, { productScopes: PRODUCT_SCOPES, policy: { ...DEFAULT_POLICY, approvalRequestLifetimeHours: 48 } });
    admin = await t.loginAdmin();
    t.app.get(TokenEvents).subscribe((event) => {
      events.push(event);
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    user = await t.createUser('member');
    // Sessions last 12 hours and some cases move the clock by days.
    admin = await t.loginAdmin();
    events.length = 0;
  });

  const request = async () => t.mintToken(user.session, { scopes: ['billing:write', 'reports:read'], expiresIn: '30d' });
  const use = (secret: string) => t.get(`${BASE}/self`, { token: secret });
  const typesOf = (tokenId: string) => events.filter((e) => e.tokenId === tokenId).map((e) => e.type);

  it('creates a token asking for a sensitive scope pending: its secret shown once, refused until approved, then active', async () => {
    const scopes = await t.get('/scopes', { token: user.session });
    expect(scopes.body.items.find((s: { scope: string }) => s.scope === 'billing:write').requiresApproval).toBe(true);
    expect(scopes.body.items.find((s: { scope: string }) => s.scope === 'billing:read').requiresApproval).toBe(false);

    const plain = await t.mintToken(user.session, { scopes: ['billing:read'] });
    expect(plain.status).toBe('active');
    const pending = await request();
    expect(pending.status).toBe('pending');
    expect(pending.token).toMatch(/^pat_/);
    expect((await use(pending.token)).status).toBe(401);
    const listed = await t.get(`${BASE}?status=pending`, { token: user.session });
    expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([pending.id]);
    const own = await t.get(`${BASE}/${pending.id}/approval`, { token: user.session });
    expect(own.body).toMatchObject({ status: 'pending', sensitiveScopes: ['billing:write'], scopes: ['billing:write', 'reports:read'] });
    expect((await t.get(`${BASE}/${plain.id}/approval`, { token: user.session })).status).toBe(404);

    const queue = await t.get(`${REQUESTS}?status=pending`, { token: admin });
    expect(queue.status).toBe(200);
    expect(queue.body.items.find((i: { tokenId: string }) => i.tokenId === pending.id)).toMatchObject({
      tokenName: pending.name,
      userEmail: user.email,
      status: 'pending',
      expiresAt: new Date(t.clock.now().getTime() + 48 * HOUR).toISOString(),
    });
    expect(JSON.stringify(queue.body)).not.toContain(pending.token);

    const approved = await t.post(`${REQUESTS}/${pending.id}/approve`, { reason: 'Quarterly export' }, { token: admin });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', reason: 'Quarterly export', decidedBy: expect.any(String) });
    expect((await use(pending.token)).status).toBe(200);
    expect(typesOf(pending.id)).toEqual(['token.created', 'token.approval_requested', 'token.approved']);
    const trail = await t.get(`/user/me/audit-events?tokenId=${pending.id}&action=personal_access_token.approved&limit=10`, {
      token: user.session,
    });
    expect(trail.body.items).toHaveLength(1);
    expect(trail.body.items[0].details).toMatchObject({ reason: 'Quarterly export' });
    expect((await t.post(`${REQUESTS}/${pending.id}/deny`, { reason: 'too late' }, { token: admin })).status).toBe(409);
  });

  it('denial revokes the token and tells the owner why', async () => {
    const pending = await request();
    const denied = await t.post(`${REQUESTS}/${pending.id}/deny`, { reason: 'Use billing:read' }, { token: admin });
    expect(denied.status).toBe(200);
    expect((await use(pending.token)).status).toBe(401);
    expect((await t.get(`${BASE}/${pending.id}`, { token: user.session })).body.status).toBe('revoked');
    expect((await t.get(`${BASE}/${pending.id}/approval`, { token: user.session })).body).toMatchObject({
      status: 'denied',
      reason: 'Use billing:read',
    });
    expect(events.find((e) => e.type === 'token.denied' && e.tokenId === pending.id)?.details).toEqual({ reason: 'Use billing:read' });
    expect((await t.post(`${REQUESTS}/${pending.id}/approve`, {}, { token: admin })).status).toBe(409);
  });

  it('an undecided request expires after its lifetime and revokes the token', async () => {
    const pending = await request();
    t.clock.advance(48 * HOUR - 1);
    admin = await t.loginAdmin();
    await t.app.get(ExpiryJob).run();
    expect((await t.get(`${REQUESTS}?status=pending`, { token: admin })).body.items.map((i: { tokenId: string }) => i.tokenId)).toContain(
      pending.id,
    );
    t.clock.advance(1);
    // Past its lifetime it cannot be approved, even before the job ran.
    expect((await t.post(`${REQUESTS}/${pending.id}/approve`, {}, { token: admin })).status).toBe(409);
    const run = await t.app.get(ExpiryJob).run();
    expect(run.approvalsExpired).toBeGreaterThanOrEqual(1);
    const session = (await t.post('/auth/login', { email: user.email, password: user.password })).body.accessToken;
    expect((await t.get(`${BASE}/${pending.id}`, { token: session })).body.status).toBe('revoked');
    expect((await t.get(`${BASE}/${pending.id}/approval`, { token: session })).body.status).toBe('expired');
    expect(typesOf(pending.id)).toContain('token.approval_expired');
  });

  it('a sensitive scope cannot be added to an existing token, and a regenerated one waits again', async () => {
    const plain = await t.mintToken(user.session, { scopes: ['billing:read'], expiresIn: '30d' });
    const added = await t.post(`${BASE}/${plain.id}/scopes`, { scope: 'billing:write' }, { token: user.session });
    expect([added.status, added.body.code]).toEqual([403, 'approval_required']);
    const patched = await t.patch(`${BASE}/${plain.id}`, { scopes: ['billing:read', 'billing:write'] }, { token: user.session });
    expect([patched.status, patched.body.code]).toEqual([403, 'approval_required']);
    expect((await t.get(`${BASE}/${plain.id}/scopes`, { token: user.session })).body.scopes).toEqual(['billing:read']);

    const pending = await request();
    expect((await t.post(`${REQUESTS}/${pending.id}/approve`, {}, { token: admin })).status).toBe(200);
    expect((await t.post(`${BASE}/${pending.id}/revoke`, {}, { token: user.session })).status).toBe(200);
    const regenerated = await t.post(`${BASE}/${pending.id}/regenerate`, {}, { token: user.session });
    expect(regenerated.body.status).toBe('pending');
    expect((await use(regenerated.body.token)).status).toBe(401);
  });

  it('refuses hostile decisions, naming the field', async () => {
    const pending = await request();
    for (const body of [
      {},
      { reason: null },
      { reason: '' },
      { reason: '   ' },
      { reason: 42 },
      { reason: ['x'] },
      { reason: 'x'.repeat(501) },
      { reason: 'x', extra: 1 },
    ]) {
      const refused = await t.post(`${REQUESTS}/${pending.id}/deny`, body, { token: admin });
      expect([body, refused.status, refused.body.code]).toEqual([body, 400, 'validation_failed']);
      expect(refused.body.details[0].field).toMatch(/^(reason|extra)$/);
    }
    for (const body of [{ reason: null }, { reason: 7 }, { reason: { text: 'x' } }]) {
      expect((await t.post(`${REQUESTS}/${pending.id}/approve`, body, { token: admin })).status).toBe(400);
    }
    expect((await t.get(`${REQUESTS}?status=maybe`, { token: admin })).status).toBe(400);
    expect((await t.post(`${REQUESTS}/not-a-uuid/approve`, {}, { token: admin })).status).toBe(400);
    expect((await t.post(`${REQUESTS}/00000000-0000-4000-8000-00000000dead/approve`, {}, { token: admin })).status).toBe(404);
    expect((await t.post(`${REQUESTS}/${pending.id}/approve`, {}, { token: user.session })).status).toBe(403);
    expect((await t.get(`${BASE}/${pending.id}/approval`, { token: (await t.createUser('member')).session })).status).toBe(404);
    expect((await t.get(`${BASE}/${pending.id}/approval`, { token: user.session })).body.status).toBe('pending');
  });

  it('of concurrent approve and deny, exactly one wins and the other answers 409', async () => {
    for (let round = 0; round < 5; round++) {
      const pending = await request();
      const answers = await Promise.all([
        t.post(`${REQUESTS}/${pending.id}/approve`, { reason: 'ok' }, { token: admin }),
        t.post(`${REQUESTS}/${pending.id}/deny`, { reason: 'no' }, { token: admin }),
        t.post(`${REQUESTS}/${pending.id}/approve`, {}, { token: admin }),
      ]);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 409, 409]);
      const winner = answers.find((a) => a.status === 200)!.body.status;
      const token = await t.get(`${BASE}/${pending.id}`, { token: user.session });
      expect(token.body.status).toBe(winner === 'approved' ? 'active' : 'revoked');
      expect((await use(pending.token)).status).toBe(winner === 'approved' ? 200 : 401);
      expect(typesOf(pending.id).filter((type) => type === 'token.approved' || type === 'token.denied')).toHaveLength(1);
    }
  });
});

describe.each(testDatabases())('tokens waiting for approval under the live-token cap on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start(database, { productScopes: PRODUCT_SCOPES, policy: { ...DEFAULT_POLICY, maxActiveTokensPerUser: 2 } });
  });
  afterAll(() => t.close());

  it('count toward it: a member cannot fill the approval queue past their cap', async () => {
    const user = await t.createUser('member');
    for (let i = 0; i < 2; i++) {
      expect((await t.mintToken(user.session, { scopes: ['billing:write'], expiresIn: '30d' })).status).toBe('pending');
    }
    const refused = await t.post(BASE, { name: 'one-too-many', scopes: ['billing:write'], expiresIn: '30d' }, { token: user.session });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('token_limit_reached');
    const queue = await t.get(`${REQUESTS}?status=pending`, { token: await t.loginAdmin() });
    expect(queue.body.items.filter((i: { userEmail: string }) => i.userEmail === user.email)).toHaveLength(2);
  });
});
