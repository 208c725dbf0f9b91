import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AuditWriter, ExpiryJob, WebhookDispatcher, WebhookPayload } from '../support/library-internals';
import { DAY, SECOND } from '../support/fake-clock';
import { describeWith } from '../support/prerequisites';
import { TestApp, TestUser } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { GaleraCluster, galeraUnavailableReason } from './support/galera';

const BASE = '/user/me/personal-access-tokens';
const CAP = 10;
const CACHE_TTL_SECONDS = 2;

/** Opt-in (a cluster takes minutes); once asked for, galera-4 is a prerequisite: under CI=true its absence fails. */
const suite =
  process.env.TEST_GALERA !== '1'
    ? (title: string, body: () => void) =>
        describe.skip(`${title} (skipped: set TEST_GALERA=1, as .ci/run does, to start a 3-node cluster)`, body)
    : describeWith(galeraUnavailableReason());

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

interface CallOptions {
  token?: string;
  body?: unknown;
  ip?: string;
  requestId?: string;
}

/**
 * The service on a 3-node MariaDB Galera cluster of the test's own: one app instance per node,
 * each on its own socket, and every check-then-act raced across the three. Every request comes
 * from its own client address (X-Forwarded-For) unless a test shares one on purpose, so that the
 * failed-authentication limit counts only what a test means it to.
 */
suite('invariants on a 3-node Galera cluster', () => {
  let cluster: GaleraCluster;
  const apps: TestApp[] = [];
  const urls: string[] = [];
  let webhookServer: Server;
  const webhooks: WebhookPayload[] = [];
  let ipCount = 0;
  const freshIp = () => `10.${(++ipCount >> 16) & 255}.${(ipCount >> 8) & 255}.${ipCount & 255}`;

  beforeAll(async () => {
    webhookServer = createServer((req: IncomingMessage, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        webhooks.push(JSON.parse(text));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhookServer.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/hook`;

    cluster = await GaleraCluster.start();
    const databases = await cluster.createDatabase('pat_cluster', 10);
    const peppers = [randomBytes(32).toString('hex')];
    // One after the other: the first runs the migrations and creates the admin.
    for (const database of databases) {
      const app = await TestApp.start(database, {
        peppers,
        logSql: false,
        logLevel: 'info',
        trustProxy: true,
        verificationCacheTtlSeconds: CACHE_TTL_SECONDS,
        policy: {
          defaultLifetimeDays: 90,
          maxLifetimeDays: 365,
          allowNoExpiry: false,
          maxActiveTokensPerUser: CAP,
          rotationIntervalSeconds: 3600,
        },
        failedAuthLimit: { limit: 10, windowSeconds: 300 },
        loginRateLimit: { perIp: 1000, failuresPerEmail: 5, windowSeconds: 900 },
        introspectionRateLimit: { limit: 10, windowSeconds: 60 },
        credentialRevocationRateLimit: { limit: 5, windowSeconds: 60 },
        webhook: { url: webhookUrl, secret: randomBytes(32).toString('hex'), maxAttempts: 3 },
        productScopes: [
          { resource: 'reports', description: 'Reports', actions: ['read', 'create', 'delete'] },
          { resource: 'billing', description: 'Billing', actions: ['read', 'write'], requiresApproval: ['write'] },
        ],
      });
      await app.app.listen(0, '127.0.0.1');
      apps.push(app);
      urls.push(`http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`);
    }
  }, 300_000);

  afterAll(async () => {
    // Every app is closed and the cluster torn down even if one app's log check fails.
    const failures: unknown[] = [];
    for (const app of apps) await app.close().catch((error: unknown) => failures.push(error));
    await cluster?.destroy();
    await new Promise((resolve) => webhookServer?.close(resolve));
    if (failures.length) throw failures[0];
  }, 120_000);

  async function call(node: number, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'x-forwarded-for': options.ip ?? freshIp() };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.requestId) headers['x-request-id'] = options.requestId;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${urls[node]}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    const body = text && String(response.headers.get('content-type')).includes('json') ? JSON.parse(text) : text;
    for (const app of apps) remember(app, body);
    return { status: response.status, body, headers: response.headers };
  }

  /** Secrets handed out over real sockets, so that each app's close still checks its logs for them. */
  function remember(app: TestApp, body: unknown): void {
    if (body && typeof body === 'object')
      for (const key of ['token', 'accessToken']) {
        const value = (body as Record<string, unknown>)[key];
        if (typeof value === 'string') app.secrets.add(value);
      }
  }

  /** Reads on a node after it has applied everything the cluster committed. */
  async function query<T = any>(node: number, sql: string, params: unknown[] = []): Promise<T[]> {
    const connection = await cluster.nodes[node].connect();
    try {
      await connection.query('USE pat_cluster');
      await connection.query('SET SESSION wsrep_sync_wait = 15');
      const [rows] = await connection.query(sql, params);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }

  const advanceAll = (ms: number) => apps.forEach((app) => app.clock.advance(ms));
  const flushAudit = () => Promise.all(apps.map((app) => app.app.get(AuditWriter).flush()));
  const statuses = (answers: Answer[]) => answers.map((a) => a.status).sort();

  async function member(): Promise<TestUser> {
    return apps[0].createUser('member');
  }

  async function mint(node: number, user: TestUser, body: Record<string, unknown> = {}): Promise<any> {
    const answer = await call(node, 'POST', BASE, {
      token: user.session,
      body: { name: `t-${randomBytes(4).toString('hex')}`, scopes: ['user:read'], ...body },
    });
    expect(answer.status).toBe(201);
    return answer.body;
  }

  it('the cluster has three synced members, each instance on its own node', async () => {
    for (const node of cluster.nodes) {
      const status = await cluster.status(node);
      expect(status.wsrep_cluster_size).toBe('3');
      expect(status.wsrep_local_state_comment).toBe('Synced');
    }
    expect(new Set(apps.map((app) => (app.config.database as { url: string }).url)).size).toBe(3);
  });

  it(`20 parallel creates over three instances cannot exceed a cap of ${CAP} live tokens; each is in the audit trail once`, async () => {
    const user = await member();
    const requestIds = Array.from({ length: 20 }, (_, i) => `cap-${i}-${randomBytes(4).toString('hex')}`);
    const ip = freshIp();
    const answers = await Promise.all(
      requestIds.map((requestId, i) =>
        // One client address: its refusals are of one kind, so they roll up.
        call(i % 3, 'POST', BASE, { token: user.session, requestId, ip, body: { name: `parallel-${i}`, scopes: ['user:read'] } }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(CAP);
    for (const refused of answers.filter((a) => a.status !== 201)) {
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('token_limit_reached');
    }
    for (let node = 0; node < 3; node++) {
      const [{ live }] = await query(node, "SELECT COUNT(*) AS live FROM personal_access_tokens WHERE user_id = ? AND status = 'active'", [
        user.id,
      ]);
      expect(Number(live)).toBe(CAP);
    }
    await flushAudit();
    const events = await query(1, 'SELECT request_id, outcome FROM audit_events WHERE request_id IN (?)', [requestIds]);
    expect(events.filter((e) => e.outcome === 'success')).toHaveLength(CAP);
    // The refusals: each is in the trail once, as an event of its own (with its request id) or
    // counted into a roll-up row of its kind.
    const [{ refused }] = await query(
      1,
      "SELECT SUM(event_count) AS refused FROM audit_events WHERE subject_user_id = ? AND status_code = 409 AND action = 'personal_access_token.create'",
      [user.id],
    );
    expect(Number(refused)).toBe(20 - CAP);
    const refusedEvents = events.filter((e) => e.outcome !== 'success');
    expect(refusedEvents.length).toBeGreaterThanOrEqual(1);
    expect(refusedEvents.length).toBeLessThanOrEqual(20 - CAP);
  });

  it('21 parallel rotations of one token over three instances: exactly one wins, and only its secret works everywhere', async () => {
    const user = await member();
    const token = await mint(0, user, { expiresIn: '30d' });
    const answers = await Promise.all(
      Array.from({ length: 21 }, (_, i) => call(i % 3, 'PATCH', `${BASE}/${token.id}/rotate`, { token: user.session, body: {} })),
    );
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of answers.filter((a) => a.status !== 200)) {
      expect(loser.status).toBe(409);
      expect(['rotation_conflict', 'rotation_too_soon']).toContain(loser.body.code);
    }
    for (let node = 0; node < 3; node++) expect((await call(node, 'GET', '/user/me', { token: winners[0].body.token })).status).toBe(200);
    const retired = await query(2, 'SELECT COUNT(*) AS n FROM personal_access_token_retired_digests WHERE token_id = ?', [token.id]);
    expect(Number(retired[0].n)).toBe(1);
    await flushAudit();
    const rotated = await query(
      0,
      "SELECT COUNT(*) AS n FROM audit_events WHERE target_id = ? AND action = 'personal_access_token.rotate' AND outcome = 'success'",
      [token.id],
    );
    expect(Number(rotated[0].n)).toBe(1);
  });

  it('approve and deny of one pending token on different nodes at once: exactly one wins, the rest answer 409', async () => {
    const admin = await apps[0].loginAdmin();
    const requests = '/admin/personal-access-token-requests';
    for (let round = 0; round < 3; round++) {
      const user = await member();
      const pending = await mint(round % 3, user, { scopes: ['billing:write', 'user:read'], expiresIn: '30d' });
      expect(pending.status).toBe('pending');
      const answers = await Promise.all([
        call(0, 'POST', `${requests}/${pending.id}/approve`, { token: admin, body: { reason: 'ok' } }),
        call(1, 'POST', `${requests}/${pending.id}/deny`, { token: admin, body: { reason: 'no' } }),
        call(2, 'POST', `${requests}/${pending.id}/approve`, { token: admin, body: {} }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
      for (const loser of answers.filter((a) => a.status === 409)) expect(loser.body.code).toBe('approval_already_decided');
      const decision = answers.find((a) => a.status === 200)!.body.status;
      const stored = await query(2, 'SELECT status FROM personal_access_tokens WHERE id = ?', [pending.id]);
      expect(stored[0].status).toBe(decision === 'approved' ? 'active' : 'revoked');
      for (let node = 0; node < 3; node++) {
        expect((await call(node, 'GET', '/user/me', { token: pending.token })).status).toBe(decision === 'approved' ? 200 : 401);
      }
    }
  });

  it("revoke-all on one node while the user's session creates tokens on the other two: nothing minted outlives the revocation", async () => {
    const admin = await apps[0].loginAdmin();
    for (let round = 0; round < 3; round++) {
      const user = await member();
      const creates = Array.from({ length: 8 }, (_, i) =>
        call(1 + (i % 2), 'POST', BASE, { token: user.session, body: { name: `in-flight-${i}`, scopes: ['user:read'] } }),
      );
      const revoke = call(0, 'POST', `/admin/users/${user.id}/personal-access-tokens/revoke`, { token: admin, body: {} });
      const [revoked, ...answers] = await Promise.all([revoke, ...creates]);
      expect(revoked.status).toBe(200);
      const created = answers.filter((a) => a.status === 201);
      for (const refused of answers.filter((a) => a.status !== 201)) {
        expect(refused.status).toBe(401);
        expect(refused.body.code).toBe('invalid_token');
      }
      // Either a create committed before the revocation (and was revoked by it) or it was refused.
      expect(revoked.body.revokedTokens).toBe(created.length);
      for (let node = 0; node < 3; node++) {
        const [{ live }] = await query(
          node,
          "SELECT COUNT(*) AS live FROM personal_access_tokens WHERE user_id = ? AND status = 'active'",
          [user.id],
        );
        expect(Number(live)).toBe(0);
      }
      for (const answer of created) expect((await call(round % 3, 'GET', '/user/me', { token: answer.body.token })).status).toBe(401);
    }
  });

  it('due tokens expire once, with one event, one notice and one webhook each, whichever instances run the job', async () => {
    const user = await member();
    const due: string[] = [];
    for (let i = 0; i < 6; i++) due.push((await mint(i % 3, user, { expiresIn: '1d' })).id);
    const noticed: string[] = [];
    const inFourDays = new Date(apps[0].clock.now().getTime() + 4 * DAY).toISOString();
    for (let i = 0; i < 3; i++) noticed.push((await mint(i % 3, user, { expiresAt: inFourDays })).id);
    advanceAll(DAY + SECOND);
    // Every instance runs the job twice, all at once.
    const runs = await Promise.all(apps.flatMap((app) => [app.app.get(ExpiryJob).run(), app.app.get(ExpiryJob).run()]));
    expect(runs.reduce((sum, run) => sum + run.expired, 0)).toBe(due.length);
    expect(runs.reduce((sum, run) => sum + run.notices['7d'], 0)).toBe(noticed.length);

    const rows = await query(1, 'SELECT id, status FROM personal_access_tokens WHERE user_id = ?', [user.id]);
    expect(
      rows
        .filter((r) => r.status === 'expired')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...due].sort());
    await flushAudit();
    const audited = await query(2, 'SELECT token_id, action FROM audit_events WHERE subject_user_id = ? AND auth_method = ?', [
      user.id,
      'system',
    ]);
    expect(
      audited
        .filter((e) => e.action === 'personal_access_token.expired')
        .map((e) => e.token_id)
        .sort(),
    ).toEqual([...due].sort());
    expect(
      audited
        .filter((e) => e.action === 'personal_access_token.expiring')
        .map((e) => e.token_id)
        .sort(),
    ).toEqual([...noticed].sort());

    // Deliveries are claimed row by row by whichever instance gets there first.
    const mine = () => webhooks.filter((w) => w.user.id === user.id);
    for (let i = 0; i < 100 && mine().length < due.length + noticed.length; i++) {
      await Promise.all(apps.map((app) => app.app.get(WebhookDispatcher).deliverDue()));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(
      mine()
        .filter((w) => w.type === 'token.expired')
        .map((w) => w.token.id)
        .sort(),
    ).toEqual([...due].sort());
    expect(
      mine()
        .filter((w) => w.type === 'token.expiring')
        .map((w) => w.token.id)
        .sort(),
    ).toEqual([...noticed].sort());
  });

  /**
   * Uses the token from every node (two clients each) while `act` changes it on `actingNode`: the
   * statuses answered once `act` was acknowledged, by that node and by the others, and once every
   * node's clock had passed the cache TTL.
   */
  const raceWithUse = async (secret: string, actingNode: number, act: () => Promise<void>) => {
    let phase: 'before' | 'acknowledged' | 'stale-window-over' = 'before';
    const seen = { acknowledged: [] as number[], acknowledgedHere: [] as number[], over: [] as number[] };
    let successes = 0;
    const use = async (node: number) => {
      let after = 0;
      for (let i = 0; i < 3000 && after < 10; i++) {
        const sentIn = phase;
        const { status } = await call(node, 'GET', '/user/me', { token: secret });
        if (status === 200) successes++;
        if (sentIn === 'acknowledged') (node === actingNode ? seen.acknowledgedHere : seen.acknowledged).push(status);
        if (sentIn === 'stale-window-over') {
          after++;
          seen.over.push(status);
        }
      }
    };
    const change = async () => {
      await waitFor('15 successful uses across the nodes before the change', () => successes >= 15);
      await act();
      phase = 'acknowledged';
      // A while inside the TTL (cache hits elsewhere allowed), then every clock past it at once.
      await new Promise((resolve) => setTimeout(resolve, 500));
      advanceAll(CACHE_TTL_SECONDS * SECOND);
      phase = 'stale-window-over';
    };
    await Promise.all([use(0), use(0), use(1), use(1), use(2), use(2), change()]);
    // The acting instance dropped its cached entry; the others may answer from theirs until the TTL.
    expect(seen.acknowledgedHere.filter((s) => s !== 401)).toEqual([]);
    expect(seen.acknowledged.filter((s) => s !== 401 && s !== 200)).toEqual([]);
    expect(seen.over.length).toBeGreaterThanOrEqual(60);
    expect(seen.over.filter((s) => s !== 401)).toEqual([]);
  };

  it('revoke racing with use: after the revoke answers, its instance refuses at once and every instance within the cache TTL', async () => {
    const user = await member();
    const token = await mint(1, user, { expiresIn: '30d' });
    await raceWithUse(token.token, 0, async () => {
      expect((await call(0, 'POST', `${BASE}/${token.id}/revoke`, { token: user.session, body: {} })).status).toBe(200);
    });
  });

  it('suspend racing with use: after the suspend answers, its instance refuses at once and every instance within the cache TTL; resume brings it back everywhere', async () => {
    const user = await member();
    const token = await mint(1, user, { expiresIn: '30d' });
    await raceWithUse(token.token, 2, async () => {
      expect((await call(2, 'POST', `${BASE}/${token.id}/suspend`, { token: user.session, body: {} })).status).toBe(200);
    });
    // Resumed on another node: every node lets it in once its cache entry (of the refusal: none is kept) is gone.
    expect((await call(0, 'POST', `${BASE}/${token.id}/resume`, { token: user.session, body: {} })).status).toBe(200);
    const answers = await Promise.all([0, 1, 2].map((node) => call(node, 'GET', '/user/me', { token: token.token })));
    expect(statuses(answers)).toEqual([200, 200, 200]);
  });

  it('without a cache entry, a revocation acknowledged on one node is refused on the others at once', async () => {
    const user = await member();
    for (let round = 0; round < 5; round++) {
      const token = await mint(round % 3, user, { expiresIn: '30d' });
      expect((await call(0, 'POST', `${BASE}/${token.id}/revoke`, { token: user.session, body: {} })).status).toBe(200);
      // Nodes 2 and 3 never saw this token: their first lookup is a causal read.
      const answers = await Promise.all([
        call(1, 'GET', '/user/me', { token: token.token }),
        call(2, 'GET', '/user/me', { token: token.token }),
      ]);
      expect(statuses(answers)).toEqual([401, 401]);
    }
  });

  it('failed authentications from one address are limited across instances: exactly the limit answer 401', async () => {
    const ip = freshIp();
    const bogus = (i: number) => `pat_${'x'.repeat(30)}${i}`;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i % 3, 'GET', '/user/me', { token: bogus(i), ip })));
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(10);
    expect(answers.filter((a) => a.status !== 401 && a.status !== 429)).toEqual([]);
    // Real-looking secrets (right checksum) cost a lookup each: those are the ones counted.
    const user = await member();
    const revoked = await mint(0, user, { expiresIn: '30d' });
    await call(0, 'POST', `${BASE}/${revoked.id}/revoke`, { token: user.session, body: {} });
    const ip2 = freshIp();
    const counted = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(i % 3, 'GET', '/user/me', { token: revoked.token, ip: ip2 })),
    );
    expect(counted.filter((a) => a.status === 401)).toHaveLength(10);
    expect(counted.filter((a) => a.status === 429)).toHaveLength(20);
  });

  it('wrong passwords for one account are limited across instances: exactly the limit are checked', async () => {
    const user = await member();
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        call(i % 3, 'POST', '/auth/login', { body: { email: user.email, password: 'wrong password!' }, ip: freshIp() }),
      ),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(10);
    const right = await call(2, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, ip: freshIp() });
    expect(right.status).toBe(429);
  });

  it('introspection by one caller is limited across instances', async () => {
    // A fresh session: the expiry race moved every clock past the first one's lifetime.
    const admin = await apps[0].loginAdmin();
    const created = await call(0, 'POST', BASE, { token: admin, body: { name: 'gateway', scopes: ['tokens:introspect'] } });
    expect(created.status).toBe(201);
    const gateway = created.body.token;
    const user = await member();
    const subject = await mint(1, user);
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        call(i % 3, 'POST', '/personal-access-tokens/introspect', { token: gateway, body: { token: subject.token }, ip: freshIp() }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 200).every((a) => a.body.active === true)).toBe(true);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(14);
  });

  it('leaked-credential reports from one address are limited across instances', async () => {
    const ip = freshIp();
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        call(i % 3, 'POST', '/credentials/revoke', { body: { credentials: [`pat_${'y'.repeat(36)}`] }, ip }),
      ),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(10);
  });

  it('a node killed with kill -9 mid-run: the others keep answering, its instance answers 503, nothing acknowledged is lost', async () => {
    const users = await Promise.all([member(), member(), member()]);
    const created: string[] = [];
    const revoked: string[] = [];
    // Revokes cut off by the kill: committed or not, nobody was told either way.
    const unsure: string[] = [];
    const answers: Array<Answer & { node: number }> = [];
    let stop = false;
    const writer = async (node: number, user: TestUser) => {
      for (let i = 0; !stop && i < 300; i++) {
        const answer = await call(node, 'POST', BASE, { token: user.session, body: { name: `k-${node}-${i}`, scopes: ['user:read'] } });
        answers.push({ ...answer, node });
        if (answer.status !== 201) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        created.push(answer.body.id);
        // Stay under the cap: revoke what was made.
        const revoke = await call(node, 'POST', `${BASE}/${answer.body.id}/revoke`, { token: user.session, body: {} });
        answers.push({ ...revoke, node });
        if (revoke.status === 200) revoked.push(answer.body.id);
        else unsure.push(answer.body.id);
      }
    };
    const victim = cluster.nodes[2];
    const chaos = async () => {
      try {
        await waitFor('10 creates before the node is killed', () => created.length >= 10);
        await victim.kill();
        const before = created.length;
        await waitFor('20 more creates on the surviving nodes', () => created.length >= before + 20);
      } finally {
        stop = true;
      }
    };
    await Promise.all([writer(0, users[0]), writer(1, users[1]), writer(2, users[2]), chaos()]);
    // The survivors answered everything; the instance on the dead node answered 503 in the one error shape.
    expect(answers.filter((a) => a.node !== 2 && a.status >= 300).map((a) => a.status)).toEqual([]);
    const failed = answers.filter((a) => a.node === 2 && a.status >= 300);
    expect(failed.length).toBeGreaterThan(0);
    for (const answer of failed) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Object.keys(answer.body).sort()).toEqual(['code', 'error', 'message', 'requestId', 'statusCode']);
    }

    await victim.start();
    await cluster.waitForSize(3);
    for (let node = 0; node < 3; node++) {
      const rows = await query(node, 'SELECT id, status FROM personal_access_tokens WHERE id IN (?)', [created]);
      expect(rows.map((r) => r.id).sort()).toEqual([...created].sort());
      const revokedRows = rows.filter((r) => r.status === 'revoked').map((r) => r.id);
      expect(revokedRows).toEqual(expect.arrayContaining(revoked));
      expect(revokedRows.filter((id) => !revoked.includes(id) && !unsure.includes(id))).toEqual([]);
      // Each acknowledged change committed its audit event with it.
      const events = await query(
        node,
        "SELECT target_id, action FROM audit_events WHERE target_id IN (?) AND outcome = 'success' AND action IN ('personal_access_token.create', 'personal_access_token.revoke')",
        [created],
      );
      const targets = (action: string) =>
        events
          .filter((e) => e.action === action)
          .map((e) => e.target_id)
          .sort();
      expect(targets('personal_access_token.create')).toEqual([...created].sort());
      expect(targets('personal_access_token.revoke')).toEqual([...revokedRows].sort());
    }
    // The instance on the restarted node answers again once its pool reconnects.
    let back: Answer | undefined;
    for (let i = 0; i < 100 && back?.status !== 201; i++) {
      back = await call(2, 'POST', BASE, { token: users[2].session, body: { name: `back-${i}`, scopes: ['user:read'] } });
      if (back.status !== 201) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(back?.status).toBe(201);
  }, 300_000);

  it('two administrators demoting each other on two nodes at once: one is refused, an administrator is left', async () => {
    const root = await apps[0].loginAdmin();
    const rootId = (await call(0, 'GET', '/user/me', { token: root })).body.id;
    const other = await apps[0].createUser('admin');
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([
        call(0, 'PATCH', `/admin/users/${other.id}`, { token: root, body: { role: 'member' } }),
        call(1, 'PATCH', `/admin/users/${rootId}`, { token: other.session, body: { role: 'member' } }),
      ]);
      const refused = answers.filter((a) => a.status === 409);
      // Either one demotion won and the other was refused, or the loser was refused before it got
      // this far (its caller no longer an administrator): never both through.
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      for (const answer of answers.filter((a) => a.status !== 200)) expect([403, 409]).toContain(answer.status);
      expect(refused.every((a) => a.body.code === 'last_administrator')).toBe(true);
      const admins = await query(2, "SELECT u.id FROM users u JOIN roles r ON r.id = u.role_id WHERE r.name = 'admin' AND u.active = 1");
      expect(admins).toHaveLength(1);
      // Back to two administrators for the next round.
      const survivor = admins[0].id === rootId ? root : other.session;
      const demoted = admins[0].id === rootId ? other.id : rootId;
      expect((await call(2, 'PATCH', `/admin/users/${demoted}`, { token: survivor, body: { role: 'admin' } })).status).toBe(200);
    }
  });
});
