import { INestApplication } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { personalAccessTokensTables, SessionsService, TokensService } from '../../libs/personal-access-tokens/src';
import { AuditEvent, AuditWriter, ExpiryJob } from '../support/library-internals';
import { tableNames } from '../support/tables';
import { testDatabases } from '../support/test-database';
import { Account, composedHostAppModule, CreateHostAccounts1795500000000, hostAppModule, QueryLog } from './host-app';

const LIBRARY_TABLES = ['audit_events', 'users', 'roles'];

const compositions = [
  { composition: 'Scopes + Tokens + Auth', audit: false, absent: ['audit_events', 'users', 'roles'] },
  { composition: 'Scopes + Tokens + Auth + Audit', audit: true, absent: ['users', 'roles'] },
];
// Express takes the core's options through forRootAsync.
const adapters = [
  { adapter: 'Fastify', create: () => new FastifyAdapter(), configuredAsync: false },
  { adapter: 'Express (forRootAsync)', create: () => new ExpressAdapter(), configuredAsync: true },
];
const cases = testDatabases().flatMap((database) =>
  compositions.flatMap((composition) => adapters.map((adapter) => ({ ...composition, ...adapter, database, on: database.name }))),
);

/** Statements naming one of these tables (as a whole word: `user_id` or `personal_access_tokens` do not count). */
function queriesTo(queries: string[], tables: string[]): string[] {
  const pattern = new RegExp(`(^|[^a-z_])(${tables.join('|')})([^a-z_]|$)`, 'i');
  return queries.filter((query) => pattern.test(query));
}

describe.each(cases)(
  'a host app composing $composition with its own users, $adapter on $on',
  ({ database, create, configuredAsync, audit, absent }) => {
    let app: INestApplication;
    let drop: () => Promise<void>;
    let session: string;
    const queryLog = new QueryLog();
    const pro: Account = { id: randomUUID(), email: 'pro@host.test', plan: 'pro', enabled: true };
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      const db = await database.create();
      drop = db.drop;
      const moduleRef = await Test.createTestingModule({
        imports: [composedHostAppModule(db.config, queryLog, audit, configuredAsync)],
      }).compile();
      app = moduleRef.createNestApplication(create());
      await app.init();
      if (app.getHttpAdapter() instanceof FastifyAdapter) await (app.getHttpAdapter() as FastifyAdapter).getInstance().ready();
      const dataSource = app.get(DataSource);
      queryLog.queries.length = 0;
      await dataSource.getRepository(Account).insert(pro);
      session = (await app.get(SessionsService).issue(pro.id)).secret;
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('mints a PAT over HTTP and checks it on the host routes, scope by scope, until it is revoked', async () => {
      const created = await http()
        .post('/user/me/personal-access-tokens')
        .set('Authorization', `Bearer ${session}`)
        .send({ name: 'report-bot', scopes: ['reports:read'], expiresIn: '7d' });
      expect(created.status).toBe(201);
      const { token, id } = created.body;
      expect(token).toMatch(/^pat_/);

      const anonymous = await http().get('/reports');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      const allowed = await http().get('/reports').set('Authorization', `Bearer ${token}`);
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ owner: 'pro@host.test', reports: ['q1', 'q2'] });
      const refused = await http().post('/reports').set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(403);
      expect(refused.headers['www-authenticate']).toMatch(/error="insufficient_scope", scope="reports:create"/);

      const me = await http().get('/user/me').set('Authorization', `Bearer ${session}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: pro.id, email: 'pro@host.test', role: 'pro', authMethod: 'session' });

      const revoked = await http().post(`/user/me/personal-access-tokens/${id}/revoke`).set('Authorization', `Bearer ${session}`);
      expect(revoked.status).toBe(200);
      expect((await http().get('/reports').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    });

    it("has only its modules' tables, created by their migrations", async () => {
      expect(await tableNames(app.get(DataSource))).toEqual(
        [
          'host_accounts',
          'migrations',
          'rate_limit_counters',
          'lock_rows',
          'personal_access_tokens',
          'personal_access_token_scopes',
          'personal_access_token_retired_digests',
          'personal_access_token_addresses',
          'webhook_deliveries',
          'job_leases',
          'sessions',
          ...(audit ? ['audit_events'] : []),
        ].sort(),
      );
    });

    it('runs the expiry job over tokens and sessions alone', async () => {
      await expect(app.get(ExpiryJob).run()).resolves.toMatchObject({ ran: true });
    });

    it('mounts no route of a module it did not import', async () => {
      const auth = { Authorization: `Bearer ${session}` };
      expect((await http().get('/admin/users').set(auth)).status).toBe(404);
      expect((await http().get('/roles').set(auth)).status).toBe(404);
      expect((await http().get('/user/me/audit-events').set(auth)).status).toBe(audit ? 200 : 404);
    });

    if (audit) {
      it("records the host's own routes in the audit trail, with the user and the token name", async () => {
        const created = await http()
          .post('/user/me/personal-access-tokens')
          .set('Authorization', `Bearer ${session}`)
          .send({ name: 'audited-bot', scopes: ['reports:read'] });
        expect(created.status).toBe(201);
        const { token, id } = created.body;
        expect((await http().get('/reports/42').set('Authorization', `Bearer ${token}`)).status).toBe(200);
        expect((await http().post('/reports').set('Authorization', `Bearer ${token}`)).status).toBe(403);
        await app.get(AuditWriter).flush(); // reads and refusals are written in batches

        const trail = await http().get('/user/me/audit-events?limit=100').set('Authorization', `Bearer ${session}`);
        expect(trail.status).toBe(200);
        const byToken = trail.body.items.filter((event: { tokenId: string }) => event.tokenId === id);
        const common = { actorUserId: pro.id, actorEmail: 'pro@host.test', tokenName: 'audited-bot', authMethod: 'personal_access_token' };
        expect(byToken).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ ...common, action: 'GET /reports/:id', targetId: '42', outcome: 'success', statusCode: 200 }),
            expect.objectContaining({ ...common, action: 'report.create', outcome: 'denied', statusCode: 403 }),
          ]),
        );
        expect(byToken).toHaveLength(2);
        const minted = trail.body.items.find(
          (event: { action: string; targetId: string }) => event.action === 'personal_access_token.create' && event.targetId === id,
        );
        expect(minted).toMatchObject({ actorEmail: 'pro@host.test', authMethod: 'session', outcome: 'success' });
      });
    }

    it(`never queries ${absent.join(', ')}`, () => {
      expect(queryLog.queries.length).toBeGreaterThan(10);
      expect(queriesTo(queryLog.queries, absent)).toEqual([]);
      // The check would see them: the library's own tables do appear in the log.
      expect(queriesTo(queryLog.queries, ['personal_access_tokens']).length).toBeGreaterThan(0);
      if (audit)
        expect(
          queriesTo(
            queryLog.queries,
            LIBRARY_TABLES.filter((t) => !absent.includes(t)),
          ).length,
        ).toBeGreaterThan(0);
    });
  },
);

describe.each(testDatabases())('PersonalAccessTokensModule.forRoot({ routes: false }) on $name', (database) => {
  let app: INestApplication;
  let drop: () => Promise<void>;
  const pro: Account = { id: randomUUID(), email: 'pro@host.test', plan: 'pro', enabled: true };
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    const db = await database.create();
    drop = db.drop;
    const moduleRef = await Test.createTestingModule({ imports: [hostAppModule(db.config, new QueryLog(), false, false)] }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    await (app.getHttpAdapter() as FastifyAdapter).getInstance().ready();
    await app.get(DataSource).getRepository(Account).insert(pro);
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it("mounts none of the library's routes, and still guards and audits the host's", async () => {
    const { token, id } = await app
      .get(TokensService)
      .mint(pro.id, { name: 'headless', scopes: ['reports:read', 'personal_access_tokens:read'] });
    const auth = { Authorization: `Bearer ${token}` };
    for (const path of ['/user/me/personal-access-tokens', '/scopes', '/user/me', '/user/me/audit-events', '/auth/verify']) {
      expect({ path, status: (await http().get(path).set(auth)).status }).toEqual({ path, status: 404 });
    }
    expect((await http().get('/reports')).status).toBe(401);
    expect((await http().get('/reports').set(auth)).status).toBe(200);
    await app.get(AuditWriter).flush();
    const events = await app
      .get(DataSource)
      .getRepository(AuditEvent)
      .find({ where: { tokenId: id, action: 'GET /reports' } });
    expect(events).toEqual([expect.objectContaining({ outcome: 'success', tokenName: 'headless', actorEmail: 'pro@host.test' })]);
  });

  it('validates a library call as the HTTP route does: mint refuses bad input and names an unknown user', async () => {
    const tokens = app.get(TokensService);
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => 'minted',
        (error: { code?: string; details?: Array<{ field: string }> }) => ({
          code: error.code,
          fields: error.details?.map((d) => d.field),
        }),
      );
    expect(await refusal(tokens.mint(pro.id, { name: '', scopes: [] }))).toEqual({ code: 'validation_failed', fields: ['name'] });
    expect(await refusal(tokens.mint(pro.id, { name: null as unknown as string, scopes: [] }))).toEqual({
      code: 'validation_failed',
      fields: ['name'],
    });
    expect(await refusal(tokens.mint(pro.id, { name: 'x', scopes: 'reports:read' as unknown as string[] }))).toEqual({
      code: 'validation_failed',
      fields: ['scopes'],
    });
    expect(await refusal(tokens.mint(pro.id, { name: 'x', scopes: [], extra: 1 } as never))).toEqual({
      code: 'validation_failed',
      fields: ['extra'],
    });
    expect(await refusal(tokens.mint(randomUUID(), { name: 'x', scopes: [] }))).toEqual({ code: 'user_not_found', fields: undefined });
    // Nothing was created by the refused calls; a valid call still mints.
    expect(await app.get(DataSource).query(`SELECT name FROM personal_access_tokens WHERE name IN ('', 'x')`)).toEqual([]);
    const { token } = await tokens.mint(pro.id, { name: '  padded  ', scopes: [] });
    expect(token).toMatch(/^pat_/);
  });
});

describe.each(testDatabases())('a composed host app whose data source lacks something, on $name', (database) => {
  const start = async (dataSource: Parameters<typeof composedHostAppModule>[4]) => {
    const db = await database.create();
    const moduleRef = await Test.createTestingModule({
      imports: [composedHostAppModule(db.config, new QueryLog(), true, false, dataSource)],
    }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    return { app, db };
  };

  it('fails at start-up naming a missing entity, and a missing table', async () => {
    const withoutLockRow = await start({
      entities: [...personalAccessTokensTables('tokens', 'auth', 'audit').entities.filter((e) => e.name !== 'LockRow'), Account],
    });
    await expect(withoutLockRow.app.init()).rejects.toThrow(
      /PersonalAccessTokensCoreModule needs the entities LockRow .*personalAccessTokensTables\(\)\.entities/,
    );
    await withoutLockRow.app.close().catch(() => undefined);
    await withoutLockRow.db.drop();

    const unmigrated = await start({ migrations: [CreateHostAccounts1795500000000] });
    await expect(unmigrated.app.init()).rejects.toThrow(
      /needs the table \w+, which does not exist: run personalAccessTokensTables\(.*\)\.migrations/,
    );
    await unmigrated.app.close().catch(() => undefined);
    await unmigrated.db.drop();
  });

  it('starts with autoLoadEntities and no entity list, and mints and verifies a token', async () => {
    const { app, db } = await start({ entities: [Account], autoLoadEntities: true });
    try {
      await app.init();
      const account: Account = { id: randomUUID(), email: 'auto@host.test', plan: 'pro', enabled: true };
      await app.get(DataSource).getRepository(Account).insert(account);
      const { token } = await app.get(TokensService).mint(account.id, { name: 'auto', scopes: ['reports:read'] });
      await expect(app.get(TokensService).verify(token)).resolves.toMatchObject({ name: 'auto' });
      await app.get(ExpiryJob).run();
    } finally {
      await app.close();
      await db.drop();
    }
  });
});

describe.each(testDatabases())('a composed host app that asks for nothing app-wide (Tokens + Auth + Audit), on $name', (database) => {
  let app: INestApplication;
  let drop: () => Promise<void>;
  const pro: Account = { id: randomUUID(), email: 'guest@host.test', plan: 'pro', enabled: true };
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    const db = await database.create();
    drop = db.drop;
    const moduleRef = await Test.createTestingModule({
      imports: [composedHostAppModule(db.config, new QueryLog(), true, false, {}, false)],
    }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    await (app.getHttpAdapter() as FastifyAdapter).getInstance().ready();
    await app.get(DataSource).getRepository(Account).insert(pro);
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const eventsOf = async (where: Record<string, unknown>) => {
    await app.get(AuditWriter).flush();
    return app.get(DataSource).getRepository(AuditEvent).find({ where });
  };

  it('registers no global guard (nor filter, pipe or interceptor)', () => {
    const config = app.get(ApplicationConfig);
    // The guards' APP_GUARD factory gave null (protectAllRoutes and audit.allRoutes off): Nest runs no guard for it.
    expect(config.getGlobalGuards().filter(Boolean)).toEqual([]);
    expect(config.getGlobalFilters()).toEqual([]);
    expect(config.getGlobalPipes()).toEqual([]);
    expect(config.getGlobalInterceptors()).toEqual([]);
  });

  it('still guards and audits its own routes: a refusal is recorded under the route action', async () => {
    const refused = await http().get('/user/me/personal-access-tokens');
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    expect(await eventsOf({ action: 'personal_access_token.list' })).toEqual([
      expect.objectContaining({ action: 'personal_access_token.list', outcome: 'denied', statusCode: 401 }),
    ]);
  });

  it("guards a host route that declares scopes, audits one marked @AuditAction, and leaves the host's other routes alone", async () => {
    const { token } = await app.get(TokensService).mint(pro.id, { name: 'reader', scopes: ['reports:read'] });
    const auth = { Authorization: `Bearer ${token}` };
    expect((await http().get('/reports')).status).toBe(401);
    expect((await http().get('/reports').set(auth)).status).toBe(200);
    const refused = await http().post('/reports').set(auth);
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toMatch(/error="insufficient_scope", scope="reports:create"/);
    expect(await eventsOf({ action: 'report.create' })).toEqual([
      expect.objectContaining({ action: 'report.create', outcome: 'denied', statusCode: 403, tokenName: 'reader' }),
    ]);
    // Not marked: no audit (no audit.allRoutes), no credential needed (no protectAllRoutes).
    expect((await http().get('/reports/ping')).status).toBe(200);
    expect(await eventsOf({ action: 'GET /reports/ping' })).toEqual([]);
    expect(await eventsOf({ action: 'GET /reports' })).toEqual([]);
  });
});
