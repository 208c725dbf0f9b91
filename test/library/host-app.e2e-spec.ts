import { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { TokensService } from '../../libs/personal-access-tokens/src';
import { AuditEvent, AuditWriter } from '../support/library-internals';
import { testDatabases } from '../support/test-database';
import { Account, hostAppModule, QueryLog } from './host-app';

// Express also takes the library's options through forRootAsync.
const adapters = [
  ['Fastify', () => new FastifyAdapter(), false],
  ['Express (forRootAsync)', () => new ExpressAdapter(), true],
] as const;

const cases = testDatabases().flatMap((database) =>
  adapters.map(([adapter, create, configuredAsync]) => ({ name: `${adapter} on ${database.name}`, database, create, configuredAsync })),
);

describe.each(cases)('a host app with its own users, $name', ({ database, create, configuredAsync }) => {
  let app: INestApplication;
  let drop: () => Promise<void>;
  let tokens: TokensService;
  const queryLog = new QueryLog();
  const pro: Account = { id: randomUUID(), email: 'pro@host.test', plan: 'pro', enabled: true };
  const free: Account = { id: randomUUID(), email: 'free@host.test', plan: 'free', enabled: true };

  beforeAll(async () => {
    const db = await database.create();
    drop = db.drop;
    const moduleRef = await Test.createTestingModule({ imports: [hostAppModule(db.config, queryLog, configuredAsync)] }).compile();
    app = moduleRef.createNestApplication(create());
    await app.init();
    queryLog.queries.length = 0; // what migrations did is not the question below
    if (app.getHttpAdapter() instanceof FastifyAdapter) await (app.getHttpAdapter() as FastifyAdapter).getInstance().ready();
    await app.get(DataSource).getRepository(Account).insert([pro, free]);
    tokens = app.get(TokensService);
  });
  afterAll(async () => {
    await app.close();
    await drop();
  });

  const http = () => request(app.getHttpServer());

  it('protects its own routes with PATs minted through the module', async () => {
    const { token } = await tokens.mint(pro.id, { name: 'report-bot', scopes: ['reports:read'], expiresIn: '7d' });
    expect((await http().get('/reports/ping')).status).toBe(200);
    const missing = await http().get('/reports');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    const allowed = await http().get('/reports').set('Authorization', `Bearer ${token}`);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ owner: 'pro@host.test', reports: ['q1', 'q2'] });
    const refused = await http().post('/reports').set('Authorization', `Bearer ${token}`);
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toMatch(/error="insufficient_scope", scope="reports:create"/);
    // A host route's refusal is answered by the host's filter (here Nest's own), with the library's code.
    expect(refused.body).toMatchObject({ statusCode: 403, code: 'insufficient_scope' });
  });

  it('narrows a scope to one entity', async () => {
    const { token } = await tokens.mint(pro.id, { name: 'one-report', scopes: ['reports:read:42'], expiresIn: '1d' });
    expect((await http().get('/reports/42').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await http().get('/reports/7').set('Authorization', `Bearer ${token}`)).status).toBe(403);
  });

  it("applies the host's roles: a free account cannot mint or use what its plan lacks", async () => {
    await expect(tokens.mint(free.id, { name: 'greedy', scopes: ['reports:create'] })).rejects.toMatchObject({
      code: 'scope_not_grantable',
    });
    const { token } = await tokens.mint(free.id, { name: 'reader', scopes: ['reports:read'] });
    expect((await http().get('/reports').set('Authorization', `ApiKey ${token}`)).status).toBe(200);
    await app.get(DataSource).getRepository(Account).update({ id: free.id }, { enabled: false });
    expect((await http().get('/reports').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('serves the token routes too, and records every action in the audit trail', async () => {
    const { token, id } = await tokens.mint(pro.id, { name: 'self-manager', scopes: ['personal_access_tokens:read', 'reports:read'] });
    const self = await http().get('/user/me/personal-access-tokens/self').set('Authorization', `Bearer ${token}`);
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ id, name: 'self-manager' });
    await http().post('/reports').set('Authorization', `Bearer ${token}`);
    await app.get(AuditWriter).flush(); // reads are written in batches
    const events = await app
      .get(DataSource)
      .getRepository(AuditEvent)
      .find({ where: { tokenId: id } });
    expect(events.map((e) => e.outcome).sort()).toEqual(['denied', 'success']);
    expect(events.every((e) => e.actorUserId === pro.id && e.tokenName === 'self-manager')).toBe(true);
  });

  it("never touches the users module's tables", () => {
    expect(queryLog.queries.length).toBeGreaterThan(5);
    expect(queryLog.queries.filter((q) => /[`"\s]users[`"\s]|[`"\s]roles[`"\s]/.test(q))).toEqual([]);
  });
});
