import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../support/library-internals';
import { Response, TestApp, TestUser } from '../support/test-app';
import { TestDatabase } from '../support/test-database';
import { recordFigures } from './support/hardening';
import { isErrorShape } from '../support/assertions';
import { describeWith } from '../support/prerequisites';
import { waitFor } from '../support/wait-for';
import { ScratchMariaDb } from './support/scratch-mariadb';

const BASE = '/user/me/personal-access-tokens';
const WAIT_TIMEOUT_SECONDS = 2;

/**
 * Database faults, against a MariaDB server this suite starts, kills and restarts itself (never
 * the shared one): runs with the MariaDB suites (TEST_DATABASE_URL set). mariadbd is a
 * prerequisite (under CI=true its absence fails the run); installed but unable to start, it fails.
 * Real time is unavoidable here (a server's restart and its wait_timeout): each wait is for a
 * condition, with a deadline.
 */
const missing = ['mariadbd', 'mariadb-install-db'].filter((binary) => spawnSync(binary, ['--version']).status !== 0);
const title = 'database faults on a scratch MariaDB server';
const suite = !process.env.TEST_DATABASE_URL
  ? (name: string, body: () => void) => describe.skip(`${name} (skipped: runs with the MariaDB suites, TEST_DATABASE_URL)`, body)
  : describeWith(missing.length ? `${missing.join(' and ')} not installed` : undefined);
suite(title, () => {
  let server: ScratchMariaDb;
  let faultsSurvived = 0;

  beforeAll(async () => {
    const started = await ScratchMariaDb.start({ waitTimeoutSeconds: WAIT_TIMEOUT_SECONDS });
    if (typeof started === 'string') throw new Error(`the scratch MariaDB server did not start: ${started}`);
    server = started;
  }, 60_000);
  afterAll(async () => {
    recordFigures('faults', { faultsSurvived });
    await server?.destroy();
  });

  /** The connections a database's clients hold open on the scratch server, or the statements they run. */
  const onServer = async (sql: string, parameters: unknown[]): Promise<number> => {
    const connection = await server.connect();
    try {
      const [rows] = (await connection.query(sql, parameters)) as unknown as [{ n: number }[]];
      return Number(rows[0].n);
    } finally {
      await connection.end();
    }
  };
  const databaseName = (database: TestDatabase) => new URL((database.config as { url: string }).url).pathname.slice(1);

  /** Starts an app on a fresh database of the scratch server; the test owns both. */
  const startApp = async (poolSize: number, beforeInit?: (app: NestFastifyApplication) => Promise<void>) => {
    const database = await server!.createDatabase(`pat_faults_${randomBytes(4).toString('hex')}`, poolSize);
    const app = await TestApp.start(
      database,
      {
        // The cache would answer good tokens without the database: every request must reach it here.
        verificationCacheTtlSeconds: 0,
        policy: {
          defaultLifetimeDays: 90,
          maxLifetimeDays: 365,
          allowNoExpiry: false,
          maxActiveTokensPerUser: 10_000,
          rotationIntervalSeconds: 3600,
        },
      },
      undefined,
      { beforeInit },
    );
    return { app, database };
  };

  const check503 = (response: Response) => {
    expect(isErrorShape(response.body, 503)).toBe(true);
    expect(response.body.code).toBe('service_unavailable');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  };

  describe('a restart under load', () => {
    let t: TestApp;
    let database: TestDatabase;
    let user: TestUser;

    beforeAll(async () => {
      ({ app: t, database } = await startApp(10));
      user = await t.createUser('member');
    });
    afterAll(async () => {
      await t?.close();
      await database?.drop();
    });

    it('answers 503 with Retry-After while the database is down, never 200 to a revoked token nor invalid_token to a good one, and recovers by itself', async () => {
      const good = await t.mintToken(user.session, { scopes: ['user:read'] });
      const revoked = await t.mintToken(user.session, { scopes: ['user:read'] });
      expect((await t.post(`${BASE}/${revoked.id}/revoke`, {}, { token: user.session })).status).toBe(200);

      const statuses = { good: new Map<number, number>(), revoked: new Map<number, number>(), create: new Map<number, number>() };
      const count = (map: Map<number, number>, status: number) => map.set(status, (map.get(status) ?? 0) + 1);
      const acknowledged: string[] = [];
      const violations: string[] = [];
      let stop = false;
      const worker = async (n: number) => {
        for (let i = 0; !stop; i++) {
          const kind = (i + n) % 3;
          if (kind === 0) {
            const response = await t.get('/user/me', { token: good.token });
            count(statuses.good, response.status);
            if (response.status === 503) check503(response);
            else if (response.status !== 200) violations.push(`good token: ${response.status} ${JSON.stringify(response.body)}`);
          } else if (kind === 1) {
            const response = await t.get('/user/me', { token: revoked.token });
            count(statuses.revoked, response.status);
            if (response.status === 503) check503(response);
            else if (response.status !== 401) violations.push(`revoked token: ${response.status} ${JSON.stringify(response.body)}`);
          } else {
            const response = await t.post(BASE, { name: `load-${n}-${i}`, scopes: ['user:read'] }, { token: user.session });
            count(statuses.create, response.status);
            if (response.status === 201) acknowledged.push(response.body.id);
            else if (response.status === 503) check503(response);
            else violations.push(`create: ${response.status} ${JSON.stringify(response.body)}`);
          }
          // Real clients arrive over the network: let I/O (and the restart) make progress.
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const answered = () =>
        [...statuses.good.values(), ...statuses.revoked.values(), ...statuses.create.values()].reduce((a, b) => a + b, 0);
      const load = Promise.all(Array.from({ length: 6 }, (_, n) => worker(n)));
      await waitFor('good tokens answered 200 under load before the kill', () => (statuses.good.get(200) ?? 0) >= 5);
      await server.kill();
      await waitFor('good tokens answered 503 while the database is down', () => (statuses.good.get(503) ?? 0) >= 3);
      await server.boot();
      // Recovery without restarting the service: good tokens work again within seconds.
      let recovered = false;
      await waitFor('a good token working again after the restart', async () => {
        recovered = (await t.get('/user/me', { token: good.token })).status === 200;
        return recovered;
      });
      const atRecovery = answered();
      await waitFor('30 more answers after the recovery', () => answered() >= atRecovery + 30);
      stop = true;
      await load;

      recordFigures('faults-restart', {
        requests: answered(),
        answered503: (statuses.good.get(503) ?? 0) + (statuses.revoked.get(503) ?? 0) + (statuses.create.get(503) ?? 0),
        acknowledgedCreates: acknowledged.length,
      });
      expect(violations).toEqual([]);
      expect(recovered).toBe(true);
      expect(statuses.good.get(503) ?? 0).toBeGreaterThan(0);
      expect(statuses.good.get(200) ?? 0).toBeGreaterThan(0);
      expect(statuses.revoked.get(200)).toBeUndefined();

      // No acknowledged create is lost, nor its audit event.
      await t.app.get(AuditWriter).flush();
      const dataSource = t.app.get(DataSource);
      const rows: { id: string }[] = await dataSource.query(
        `SELECT id FROM personal_access_tokens WHERE id IN (${acknowledged.map(() => '?').join(',')})`,
        acknowledged,
      );
      expect(rows.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
      const audited: { target_id: string }[] = await dataSource.query(
        `SELECT target_id FROM audit_events WHERE action = 'personal_access_token.create' AND outcome = 'success' AND target_id IN (${acknowledged.map(() => '?').join(',')})`,
        acknowledged,
      );
      expect(new Set(audited.map((r) => r.target_id)).size).toBe(acknowledged.length);
      faultsSurvived++;
    }, 90_000);
  });

  describe('idle connections past the server wait_timeout', () => {
    it('the next request after the server closed every idle connection succeeds', async () => {
      const { app: t, database } = await startApp(4);
      try {
        const user = await t.createUser('member');
        const token = await t.mintToken(user.session, { scopes: ['user:read'] });
        await Promise.all(Array.from({ length: 4 }, () => t.get('/user/me', { token: token.token })));
        const name = databaseName(database);
        const held = () => onServer('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [name]);
        expect(await held()).toBeGreaterThan(0);
        await waitFor('the server closing the idle pooled connections (wait_timeout)', async () => (await held()) === 0);
        const after = await t.get('/user/me', { token: token.token });
        expect({ status: after.status, body: after.status === 200 ? 'ok' : after.body }).toEqual({ status: 200, body: 'ok' });
        const writes = await t.post(BASE, { name: 'after-idle', scopes: ['user:read'] }, { token: user.session });
        expect(writes.status).toBe(201);
        faultsSurvived++;
      } finally {
        await t.close();
        await database.drop();
      }
    }, 60_000);
  });

  describe('a start-up slower than the server wait_timeout', () => {
    it('starts, and the first admin can sign in, though the server closed the pooled connections meanwhile', async () => {
      const { app: t, database } = await startApp(4, async (app) => {
        // Two connections wait idle in the pool after the migrations...
        const dataSource = app.get(DataSource);
        await Promise.all([dataSource.query('SELECT SLEEP(0.05)'), dataSource.query('SELECT SLEEP(0.05)')]);
        // ...while the start-up keeps the event loop busy past wait_timeout, as on a loaded
        // machine: the server closes both, and the app learns it only when it uses them.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, (WAIT_TIMEOUT_SECONDS + 1) * 1000);
      });
      try {
        expect(await t.loginAdmin()).toEqual(expect.any(String));
        faultsSurvived++;
      } finally {
        await t.close();
        await database.drop();
      }
    }, 60_000);
  });

  describe('pool exhaustion', () => {
    it('with DB_POOL_SIZE=1 and the connection busy, requests queue boundedly, then answer 503, and all complete', async () => {
      const { app: t, database } = await startApp(1);
      try {
        const user = await t.createUser('member');
        const token = await t.mintToken(user.session, { scopes: ['user:read'] });
        // A slow query holds the only connection for two seconds.
        const slow = t.app.get(DataSource).query('SELECT SLEEP(2)');
        await waitFor(
          'the slow query running on the only connection',
          async () =>
            (await onServer("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO = 'SELECT SLEEP(2)'", [
              databaseName(database),
            ])) === 1,
        );
        // Login sessions: each request reads the database (concurrent requests with one PAT share one lookup).
        const answers = await Promise.all(Array.from({ length: 120 }, () => t.get('/user/me', { token: user.session })));
        await slow;
        const byStatus = new Map<number, number>();
        for (const answer of answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
        expect([...byStatus.keys()].sort()).toEqual([200, 503]);
        // The queue holds 50 per connection: the rest are refused at once rather than piled up.
        expect(byStatus.get(503)).toBeGreaterThanOrEqual(120 - 50);
        for (const answer of answers.filter((a) => a.status === 503)) check503(answer);
        expect((await t.get('/user/me', { token: token.token })).status).toBe(200);
        faultsSurvived++;
      } finally {
        await t.close();
        await database.drop();
      }
    }, 60_000);
  });
});
