import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, IsNull, Not } from 'typeorm';
import { AuditEvent, AuditRetentionJob, AuditWriter, ExpiryJob } from './support/library-internals';
import { DAY } from './support/fake-clock';
import { ADMIN_EMAIL, ADMIN_PASSWORD, RequestOptions, TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const ALL_SCOPES = ['personal_access_tokens:read', 'personal_access_tokens:write', 'user:read', 'audit:read'];

/** Every secret a test saw, so that the last test can prove none reached the trail. */
const secrets: string[] = [];

function requestId(): string {
  return `audit-${randomBytes(8).toString('hex')}`;
}

async function eventsOf(t: TestApp, id: string): Promise<AuditEvent[]> {
  await t.app.get(AuditWriter).flush();
  return t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .find({ where: { requestId: id } });
}

/** Roll-up rows (counted reads, repeated refusals), flushed. */
async function rollups(t: TestApp): Promise<AuditEvent[]> {
  await t.app.get(AuditWriter).flush();
  return t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .find({ where: { lastOccurredAt: Not(IsNull()) } });
}

/**
 * Sends a request with a fresh request id and answers the response and what recorded it: its own
 * event (changes, the first refusal of a kind), or the roll-up row it added one to (reads, repeated
 * refusals); exactly one of them, once.
 */
async function audited(t: TestApp, method: string, url: string, options: RequestOptions = {}) {
  const before = new Map((await rollups(t)).map((row) => [row.id, row.count]));
  const id = requestId();
  const response = await t.request(method, url, { ...options, headers: { ...options.headers, 'x-request-id': id } });
  const events = (await eventsOf(t, id)).filter((e) => e.authMethod !== 'system');
  const counted = (await rollups(t)).filter((row) => row.authMethod !== 'system' && row.count > (before.get(row.id) ?? 0));
  const added = counted.reduce((sum, row) => sum + row.count - (before.get(row.id) ?? 0), 0);
  expect({ url, method, recorded: events.length + added }).toEqual({ url, method, recorded: 1 });
  return { response, event: events[0] ?? counted[0], id };
}

async function mint(t: TestApp, caller: string, body: Record<string, unknown> = {}) {
  const token = await t.mintToken(caller, { scopes: ALL_SCOPES, ...body });
  secrets.push(token.token);
  return token;
}

describe.each(testDatabases())('audit trail on $name', (database) => {
  let t: TestApp;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    admin = await t.loginAdmin();
    secrets.push(admin);
    adminId = (await t.get('/user/me', { token: admin })).body.id;
  });
  afterAll(() => t.close());

  describe('one event per request', () => {
    it('records each token route with the user, the token id and the token name', async () => {
      const user = await t.createUser('member');
      secrets.push(user.session);
      const pat = await mint(t, user.session, { name: 'audited-pat' });
      const as = { token: pat.token };
      const expectAttributed = (event: AuditEvent, status: number, action: string) =>
        expect(event).toMatchObject({
          actorUserId: user.id,
          actorEmail: user.email,
          subjectUserId: user.id,
          tokenId: pat.id,
          tokenName: 'audited-pat',
          authMethod: 'personal_access_token',
          action,
          statusCode: status,
          outcome: status < 400 ? 'success' : 'error',
          ip: '127.0.0.1',
        });

      const created = await audited(t, 'POST', '/user/me/personal-access-tokens', {
        ...as,
        body: { name: 'child', scopes: ['user:read'] },
      });
      expect(created.response.status).toBe(201);
      secrets.push(created.response.body.token);
      const child = created.response.body.id;
      expectAttributed(created.event, 201, 'personal_access_token.create');
      expect(created.event.targetType).toBe('personal_access_token');
      expect(created.event.targetId).toBe(child);
      expect(JSON.parse(created.event.details!)).toEqual({ name: 'child', scopes: ['user:read'] });

      const routes: Array<[string, string, unknown, number, string]> = [
        ['GET', '/user/me', undefined, 200, 'user.read_self'],
        ['GET', '/scopes', undefined, 200, 'scope.list'],
        ['GET', '/roles', undefined, 200, 'role.list'],
        ['GET', '/user/me/personal-access-tokens', undefined, 200, 'personal_access_token.list'],
        ['GET', '/user/me/personal-access-tokens/self', undefined, 200, 'personal_access_token.read_self'],
        ['GET', `/user/me/personal-access-tokens/${child}`, undefined, 200, 'personal_access_token.read'],
        ['PATCH', `/user/me/personal-access-tokens/${child}`, { description: 'renamed' }, 200, 'personal_access_token.update'],
        ['GET', `/user/me/personal-access-tokens/${child}/scopes`, undefined, 200, 'personal_access_token.list_scopes'],
        ['POST', `/user/me/personal-access-tokens/${child}/scopes`, { scope: 'audit:read' }, 201, 'personal_access_token.add_scope'],
        ['DELETE', `/user/me/personal-access-tokens/${child}/scopes/audit:read`, undefined, 204, 'personal_access_token.remove_scope'],
        ['DELETE', `/user/me/personal-access-tokens/${child}/scopes`, undefined, 204, 'personal_access_token.remove_all_scopes'],
        ['PATCH', `/user/me/personal-access-tokens/${child}/rotate`, {}, 200, 'personal_access_token.rotate'],
        ['POST', `/user/me/personal-access-tokens/${child}/revoke`, undefined, 200, 'personal_access_token.revoke'],
        ['POST', `/user/me/personal-access-tokens/${child}/regenerate`, {}, 200, 'personal_access_token.regenerate'],
        ['DELETE', `/user/me/personal-access-tokens/${child}`, undefined, 204, 'personal_access_token.delete'],
        ['GET', '/user/me/audit-events', undefined, 200, 'audit_event.list'],
      ];
      for (const [method, url, body, status, action] of routes) {
        const { response, event } = await audited(t, method, url, { ...as, body });
        if (typeof response.body?.token === 'string') secrets.push(response.body.token);
        expect({ url, status: response.status }).toEqual({ url, status });
        expectAttributed(event, status, action);
        if (url.includes(child)) expect(event).toMatchObject({ targetType: 'personal_access_token', targetId: child });
      }

      const deleteAll = await audited(t, 'DELETE', '/user/me/personal-access-tokens', { token: user.session });
      expect(deleteAll.response.status).toBe(204);
      expect(deleteAll.event).toMatchObject({
        actorUserId: user.id,
        authMethod: 'session',
        tokenId: null,
        action: 'personal_access_token.delete_all',
      });
    });

    it('records every documented route exactly once (swept from the OpenAPI document)', async () => {
      const document = await t.get('/docs-json');
      const operations = Object.entries(document.body.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(
        ([path, item]) =>
          Object.entries(item)
            .filter(([method]) => ['get', 'post', 'patch', 'put', 'delete'].includes(method))
            .map(([method, operation]) => [method.toUpperCase(), path, Boolean(operation.security?.length)] as const),
      );
      expect(operations.length).toBeGreaterThan(20);
      for (const [method, path, authenticated] of operations) {
        if (path.startsWith('/health')) continue;
        // A fresh session each time: the sweep includes logging out and revoking everything.
        const session = await t.loginAdmin();
        const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
        const body = ['POST', 'PATCH', 'PUT'].includes(method) ? {} : undefined;
        const { response, event } = await audited(t, method, url, { token: session, body });
        expect(event).toMatchObject({ statusCode: response.status });
        if (authenticated && response.status !== 401) expect(event).toMatchObject({ actorUserId: adminId, authMethod: 'session' });
      }
    });

    it('attributes a login to the user who logged in, and a failed one to nobody', async () => {
      const ok = await audited(t, 'POST', '/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
      expect(ok.response.status).toBe(200);
      secrets.push(ok.response.body.accessToken);
      expect(ok.event).toMatchObject({
        action: 'auth.login',
        outcome: 'success',
        actorUserId: adminId,
        actorEmail: ADMIN_EMAIL,
        authMethod: 'none',
      });
      expect(JSON.parse(ok.event.details!)).toEqual({ email: ADMIN_EMAIL });

      const failed = await audited(t, 'POST', '/auth/login', { body: { email: ADMIN_EMAIL, password: 'not the password at all' } });
      expect(failed.response.status).toBe(401);
      expect(failed.event).toMatchObject({ action: 'auth.login', outcome: 'denied', actorUserId: null, targetId: null });
      expect(failed.event.details).not.toContain('not the password');
    });

    it('attributes gateway checks and introspection to who they concern, never storing the token asked about', async () => {
      const user = await t.createUser('member');
      const pat = await mint(t, user.session, { name: 'behind-gateway' });
      const verify = await audited(t, 'GET', '/auth/verify', { token: pat.token });
      expect(verify.response.status).toBe(200);
      expect(verify.event).toMatchObject({
        action: 'auth.verify',
        actorUserId: user.id,
        tokenId: pat.id,
        tokenName: 'behind-gateway',
        authMethod: 'personal_access_token',
      });

      const introspect = await audited(t, 'POST', '/personal-access-tokens/introspect', { token: admin, body: { token: pat.token } });
      expect(introspect.response.status).toBe(200);
      expect(introspect.event).toMatchObject({ action: 'personal_access_token.introspect', actorUserId: adminId, details: null });
    });

    it('does not record health checks', async () => {
      const id = requestId();
      expect((await t.get('/health', { headers: { 'x-request-id': id } })).status).toBe(200);
      expect(await eventsOf(t, id)).toEqual([]);
      expect((await rollups(t)).filter((row) => row.action.includes('health'))).toEqual([]);
    });
  });

  describe('refusals', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await t.createUser('member');
      secrets.push(user.session);
    });

    it('records a request without credentials as denied, by nobody', async () => {
      const { response, event } = await audited(t, 'GET', '/user/me/personal-access-tokens');
      expect(response.status).toBe(401);
      expect(event).toMatchObject({
        action: 'personal_access_token.list',
        outcome: 'denied',
        statusCode: 401,
        actorUserId: null,
        tokenId: null,
        authMethod: 'none',
      });
    });

    it('attributes an unknown token to nobody', async () => {
      const unknown = 'pat_' + 'A'.repeat(38);
      secrets.push(unknown);
      const { response, event } = await audited(t, 'GET', '/user/me', { token: unknown });
      expect(response.status).toBe(401);
      expect(event).toMatchObject({
        outcome: 'denied',
        actorUserId: null,
        tokenId: null,
        tokenName: null,
        details: JSON.stringify({ code: 'invalid_token' }),
      });
    });

    it('attributes a revoked token to its owner and its name', async () => {
      const pat = await mint(t, user.session, { name: 'soon-revoked' });
      expect((await t.post(`/user/me/personal-access-tokens/${pat.id}/revoke`, {}, { token: user.session })).status).toBe(200);
      const { response, event } = await audited(t, 'GET', '/user/me', { token: pat.token });
      expect(response.status).toBe(401);
      expect(event).toMatchObject({
        action: 'user.read_self',
        outcome: 'denied',
        actorUserId: user.id,
        actorEmail: user.email,
        tokenId: pat.id,
        tokenName: 'soon-revoked',
        authMethod: 'personal_access_token',
      });
    });

    it('records a missing scope as a 403 with the user and the token', async () => {
      const pat = await mint(t, user.session, { name: 'reader', scopes: ['user:read'] });
      const { response, event } = await audited(t, 'POST', '/user/me/personal-access-tokens', {
        token: pat.token,
        body: { name: 'x', scopes: ['user:read'] },
      });
      expect(response.status).toBe(403);
      expect(event).toMatchObject({
        action: 'personal_access_token.create',
        outcome: 'denied',
        statusCode: 403,
        actorUserId: user.id,
        tokenId: pat.id,
        tokenName: 'reader',
      });
    });

    it('records validation failures, malformed credentials and unknown routes', async () => {
      const invalid = await audited(t, 'POST', '/user/me/personal-access-tokens', { token: user.session, body: { name: '' } });
      expect(invalid.response.status).toBe(400);
      expect(invalid.event).toMatchObject({
        action: 'personal_access_token.create',
        outcome: 'error',
        statusCode: 400,
        actorUserId: user.id,
      });
      expect(JSON.parse(invalid.event.details!).code).toBe('validation_failed');

      const malformed = await audited(t, 'GET', '/user/me', { headers: { authorization: 'Bearer a b' } });
      expect(malformed.event).toMatchObject({ outcome: 'denied', statusCode: 400, actorUserId: null });

      const unparsable = await audited(t, 'POST', '/user/me/personal-access-tokens', {
        token: user.session,
        headers: { 'content-type': 'application/json' },
        body: '{"name": "x", "scopes": [',
      });
      expect(unparsable.event).toMatchObject({ action: 'personal_access_token.create', outcome: 'error', statusCode: 400 });

      const notFound = await audited(t, 'GET', '/no/such/route', { token: user.session });
      expect(notFound.event).toMatchObject({ action: 'http.route_not_found', outcome: 'error', statusCode: 404 });
    });

    it('records reuse of a rotated-away secret as a refusal and as a system action on the owner', async () => {
      const pat = await mint(t, user.session, { name: 'rotated' });
      const rotated = await t.patch(`/user/me/personal-access-tokens/${pat.id}/rotate`, {}, { token: user.session });
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body.token);
      const { response, event, id } = await audited(t, 'GET', '/user/me', { token: pat.token });
      expect(response.status).toBe(401);
      expect(event).toMatchObject({ actorUserId: user.id, tokenId: pat.id, tokenName: 'rotated', outcome: 'denied' });
      const system = await t.app
        .get(DataSource)
        .getRepository(AuditEvent)
        .findOneBy({ tokenId: pat.id, action: 'personal_access_token.reuse_detected' });
      expect(system).toMatchObject({ authMethod: 'system', actorUserId: null, subjectUserId: user.id, tokenName: 'rotated' });
      expect(id).toBeDefined();
    });
  });

  describe('system actions', () => {
    it('records an administrator revoking a token with the owner as subject', async () => {
      const user = await t.createUser('member');
      const pat = await mint(t, user.session, { name: 'admin-target' });
      const { response, event } = await audited(t, 'POST', `/admin/personal-access-tokens/${pat.id}/revoke`, { token: admin });
      expect(response.status).toBe(200);
      expect(event).toMatchObject({ actorUserId: adminId, targetId: pat.id, outcome: 'success' });
      const trail = await t.get(`/user/me/audit-events?tokenId=${pat.id}&action=personal_access_token.revoked`, { token: user.session });
      expect(trail.body.items).toEqual([
        expect.objectContaining({ authMethod: 'system', actorUserId: adminId, subjectUserId: user.id, tokenName: 'admin-target' }),
      ]);
    });

    it('records expiry by the job with a system actor', async () => {
      const user = await t.createUser('member');
      const pat = await mint(t, user.session, { name: 'short-lived', expiresIn: '7d' });
      t.clock.advance(8 * DAY);
      expect(await t.app.get(ExpiryJob).run()).toMatchObject({ ran: true, expired: expect.any(Number) });
      // Sessions last 12 hours: everyone logs in again.
      admin = await t.loginAdmin();
      const trail = await t.get(`/admin/audit-events?tokenId=${pat.id}&action=personal_access_token.expired`, { token: admin });
      expect({ status: trail.status, items: trail.body.items }).toEqual({
        status: 200,
        items: [expect.objectContaining({ authMethod: 'system', actorUserId: null, subjectUserId: user.id, tokenName: 'short-lived' })],
      });
    });
  });

  describe('query API', () => {
    let user: TestUser;
    let first: any;
    let second: any;

    beforeAll(async () => {
      user = await t.createUser('member');
      secrets.push(user.session);
      first = await mint(t, user.session, { name: 'first' });
      second = await mint(t, user.session, { name: 'second' });
      // A minute apart: each read is a roll-up row of its own (reads within a minute are one).
      for (let i = 0; i < 12; i++) {
        t.clock.advance(60_000);
        await t.get('/user/me', { token: i % 2 ? first.token : second.token });
        if (i % 4 === 0) await t.get('/admin/users', { token: first.token });
      }
    });

    const all = async () => {
      await t.app.get(AuditWriter).flush();
      return t.app
        .get(DataSource)
        .getRepository(AuditEvent)
        .find({ where: { subjectUserId: user.id }, order: { occurredAt: 'DESC', id: 'DESC' } });
    };

    it('shows a user only their own trail, newest first, in stable pages', async () => {
      const expected = (await all()).map((e) => e.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url = `/user/me/audit-events?limit=4${cursor ? `&cursor=${cursor}` : ''}`;
        // After the first page, new events arrive while each page is read (at the same instant
        // as the page boundary, too: the clock does not move), and must not shift the pages.
        const arriving =
          pages++ === 0
            ? []
            : [
                t.get('/user/me', { token: first.token }),
                t.post('/user/me/personal-access-tokens', { name: '' }, { token: user.session }),
                t.post('/user/me/personal-access-tokens', { name: `late-${pages}`, scopes: ['user:read'] }, { token: user.session }),
              ];
        const [page] = (await Promise.all([t.get(url, { token: user.session }), ...arriving])) as any[];
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(4);
        for (const item of page.body.items) expect(item.subjectUserId).toBe(user.id);
        seen.push(...page.body.items.map((e: { id: string }) => e.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(pages).toBeGreaterThan(3);
      expect(seen).toEqual(expected);
    });

    it('filters by token, action, outcome and time', async () => {
      const events = await all();
      const byToken = await t.get(`/user/me/audit-events?tokenId=${first.id}&limit=200`, { token: user.session });
      expect(byToken.body.items.map((e: { id: string }) => e.id)).toEqual(
        events.filter((e) => e.tokenId === first.id || e.targetId === first.id).map((e) => e.id),
      );

      const denied = await t.get('/user/me/audit-events?outcome=denied&limit=200', { token: user.session });
      expect(denied.body.items.length).toBeGreaterThan(0);
      expect(denied.body.items.map((e: { id: string }) => e.id)).toEqual(events.filter((e) => e.outcome === 'denied').map((e) => e.id));
      expect(denied.body.items.every((e: { statusCode: number }) => e.statusCode === 403)).toBe(true);

      const reads = await t.get('/user/me/audit-events?action=user.read_self&limit=200', { token: user.session });
      expect(reads.body.items).toHaveLength(events.filter((e) => e.action === 'user.read_self').length);

      const from = events[events.length - 1].occurredAt;
      const to = new Date(from.getTime() + 5000);
      const window = await t.get(`/user/me/audit-events?from=${from.toISOString()}&to=${to.toISOString()}&limit=200`, {
        token: user.session,
      });
      const inWindow = events.filter((e) => e.occurredAt >= from && e.occurredAt < to).map((e) => e.id);
      expect(inWindow.length).toBeGreaterThan(0);
      expect(window.body.items.map((e: { id: string }) => e.id)).toEqual(inWindow);
    });

    it('refuses a forged cursor and bad filters', async () => {
      expect((await t.get('/user/me/audit-events?cursor=bm90LWEtY3Vyc29y', { token: user.session })).body.code).toBe('invalid_cursor');
      expect((await t.get('/user/me/audit-events?outcome=maybe', { token: user.session })).status).toBe(400);
      expect((await t.get('/user/me/audit-events?from=yesterday', { token: user.session })).status).toBe(400);
    });

    it('needs audit:read on a token', async () => {
      const reader = await mint(t, user.session, { name: 'no-audit', scopes: ['user:read'] });
      expect((await t.get('/user/me/audit-events', { token: reader.token })).status).toBe(403);
    });

    it('lets administrators read everyone, and filter by user', async () => {
      expect((await t.get('/admin/audit-events', { token: user.session })).status).toBe(403);
      const page = await t.get(`/admin/audit-events?userId=${user.id}&limit=200`, { token: admin });
      expect(page.status).toBe(200);
      expect(page.body.items.map((e: { id: string }) => e.id)).toEqual((await all()).map((e) => e.id));
      const everyone = await t.get('/admin/audit-events?limit=200', { token: admin });
      expect(new Set(everyone.body.items.map((e: { subjectUserId: string }) => e.subjectUserId)).size).toBeGreaterThan(1);
    });

    it('streams NDJSON and CSV exports', async () => {
      // From an address of its own: the first read of its roll-up, whose user agent the row keeps.
      await t.get('/user/me', { token: first.token, ip: '10.1.2.3', headers: { 'user-agent': '=HYPERLINK("x"), "quoted"' } });
      const expected = await all();
      const id = requestId();
      const ndjson = await t.get('/user/me/audit-events?format=ndjson', { token: user.session, headers: { 'x-request-id': id } });
      expect(ndjson.status).toBe(200);
      expect(ndjson.headers['content-type']).toMatch(/application\/x-ndjson/);
      // Streamed: sent in chunks as pages are read, never measured up front.
      expect(ndjson.headers['content-length']).toBeUndefined();
      expect(ndjson.headers['transfer-encoding']).toBe('chunked');
      const lines = String(ndjson.body)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      // The export's own event is written before it streams, so it may be its first line.
      expect(lines.filter((e) => e.requestId !== id).map((e) => e.id)).toEqual(expected.map((e) => e.id));

      const csv = await t.get(`/admin/audit-events?format=csv&userId=${user.id}`, { token: admin });
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(/attachment; filename="audit-events.csv"/);
      const rows = String(csv.body).trim().split('\r\n');
      expect(rows[0]).toMatch(/^id,occurredAt,actorUserId,actorEmail,/);
      expect(rows).toHaveLength((await all()).length + 1);
      expect(csv.body).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
    });
  });

  describe('large exports', () => {
    it('walks every page of a trail longer than one export batch, newest first', async () => {
      const subject = randomUUID();
      const base = t.clock.now().getTime();
      const rows = Array.from({ length: 1234 }, (_, i) => ({
        id: randomUUID(),
        // Many share an instant: the id breaks the tie, on every page boundary too.
        occurredAt: new Date(base - Math.floor(i / 7) * 1000),
        actorUserId: subject,
        actorEmail: null,
        subjectUserId: subject,
        tokenId: null,
        tokenName: null,
        authMethod: 'session' as const,
        action: 'synthetic.read',
        targetType: null,
        targetId: null,
        outcome: 'success' as const,
        statusCode: 200,
        ip: null,
        userAgent: null,
        requestId: null,
        durationMs: 1,
        details: null,
      }));
      const repository = t.app.get(DataSource).getRepository(AuditEvent);
      for (let i = 0; i < rows.length; i += 100) await repository.insert(rows.slice(i, i + 100));
      const expected = await repository.find({ where: { subjectUserId: subject }, order: { occurredAt: 'DESC', id: 'DESC' } });
      const ndjson = await t.get(`/admin/audit-events?format=ndjson&userId=${subject}`, { token: admin });
      const ids = String(ndjson.body)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).id);
      expect(ids).toHaveLength(1234);
      expect(ids).toEqual(expected.map((e) => e.id));
    });
  });

  describe('nothing lost', () => {
    it('does not apply a mutation whose event cannot be written', async () => {
      const user = await t.createUser('member');
      const dataSource = t.app.get(DataSource);
      await t.app.get(AuditWriter).flush();
      await dataSource.query('ALTER TABLE audit_events RENAME TO audit_events_away');
      let response;
      try {
        response = await t.post(
          '/user/me/personal-access-tokens',
          { name: 'never-created', scopes: ['user:read'] },
          { token: user.session },
        );
      } finally {
        await dataSource.query('ALTER TABLE audit_events_away RENAME TO audit_events');
      }
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(response.body.token).toBeUndefined();
      const list = await t.get('/user/me/personal-access-tokens', { token: user.session });
      expect(list.body.items).toEqual([]);
    });

    it('commits a mutation event before the response, without waiting for a flush', async () => {
      const user = await t.createUser('member');
      const id = requestId();
      const response = await t.post(
        '/user/me/personal-access-tokens',
        { name: 'committed', scopes: ['user:read'] },
        {
          token: user.session,
          headers: { 'x-request-id': id },
        },
      );
      secrets.push(response.body.token);
      const rows = await t.app.get(DataSource).getRepository(AuditEvent).findBy({ requestId: id });
      expect(rows).toEqual([
        expect.objectContaining({ action: 'personal_access_token.create', outcome: 'success', targetId: response.body.id }),
      ]);
    });
  });

  describe('secrecy', () => {
    it('never stores a secret, a digest or any part of one', async () => {
      const dataSource = t.app.get(DataSource);
      await t.app.get(AuditWriter).flush();
      const digests = [
        ...(await dataSource.query('SELECT digest FROM personal_access_tokens')),
        ...(await dataSource.query('SELECT digest FROM personal_access_token_retired_digests')),
        ...(await dataSource.query('SELECT digest FROM sessions')),
      ].map((row: { digest: string }) => row.digest);
      const rows = await dataSource.query('SELECT * FROM audit_events');
      expect(rows.length).toBeGreaterThan(0);
      const text = JSON.stringify(rows);
      expect(secrets.length).toBeGreaterThan(10);
      for (const secret of [...secrets, ...digests]) {
        const body = secret.replace(/^pats?_/, '');
        for (let i = 0; i + 12 <= body.length; i += 4) expect(text).not.toContain(body.slice(i, i + 12));
      }
      expect(text).not.toMatch(/authorization/i);
    });
  });
  describe('retention', () => {
    it('purges events older than the retention period in batches, and records the purge', async () => {
      const repository = t.app.get(DataSource).getRepository(AuditEvent);
      await t.app.get(AuditWriter).flush();
      const before = await repository.count();
      t.clock.advance(366 * DAY);
      const user = await t.createUser('member');
      await t.get('/user/me', { token: user.session });
      await t.app.get(AuditWriter).flush();
      const deleted = await t.app.get(AuditRetentionJob).purge(7);
      expect(deleted).toBe(before);
      const left = await repository.find();
      expect(left.map((e) => e.action).sort()).toEqual(['audit_event.retention_purge', 'user.read_self']);
      expect(JSON.parse(left.find((e) => e.action === 'audit_event.retention_purge')!.details!)).toMatchObject({ deleted: before });
    });
  });
});
