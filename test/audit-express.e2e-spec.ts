import { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditEvent, AuditWriter } from './support/library-internals';
import { loadAppConfig } from '../src/config/load-config';
import { startExpressApp } from './support/express-app';
import { LogScan } from './support/log-scan';

const PASSWORD = 'express adapter password';

/** The library on Express, as a host app might run it: routes, refusals and exports audited alike. */
describe('audit trail on the Express adapter', () => {
  let app: INestApplication;
  let scan: LogScan;
  let close: () => Promise<void>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pat-audit-express-'));
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'debug',
      LOG_SQL: 'true',
      EXPIRY_JOB_CRON: 'off',
      AUDIT_RETENTION_CRON: 'off',
      PAGE_PATH: 'off',
    });
    ({ app, scan, close } = await startExpressApp(config));
  });
  afterAll(async () => {
    try {
      await close?.();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const eventOf = async (action: string) => {
    await app.get(AuditWriter).flush();
    return app.get(DataSource).getRepository(AuditEvent).findBy({ action });
  };

  it('records requests, refusals and exports', async () => {
    const login = await request(app.getHttpServer()).post('/auth/login').send({ email: 'admin@example.test', password: PASSWORD });
    expect(login.status).toBe(200);
    const session = login.body.accessToken as string;
    scan.remember(login.body);

    const created = await request(app.getHttpServer())
      .post('/user/me/personal-access-tokens')
      .set('authorization', `Bearer ${session}`)
      .send({ name: 'on-express', scopes: ['user:read'] });
    expect(created.status).toBe(201);
    scan.remember(created.body);
    const [createEvent] = await eventOf('personal_access_token.create');
    expect(createEvent).toMatchObject({ outcome: 'success', statusCode: 201, targetId: created.body.id, authMethod: 'session' });

    const read = await request(app.getHttpServer()).get('/user/me').set('authorization', `Bearer ${created.body.token}`);
    expect(read.status).toBe(200);
    const refused = await request(app.getHttpServer())
      .get('/user/me/personal-access-tokens')
      .set('authorization', `Bearer ${created.body.token}`);
    expect(refused.status).toBe(403);
    const [readEvent] = await eventOf('user.read_self');
    expect(readEvent).toMatchObject({ tokenId: created.body.id, tokenName: 'on-express', outcome: 'success' });
    const [refusedEvent] = await eventOf('personal_access_token.list');
    expect(refusedEvent).toMatchObject({ tokenId: created.body.id, outcome: 'denied', statusCode: 403 });

    const ndjson = await request(app.getHttpServer()).get('/user/me/audit-events?format=ndjson').set('authorization', `Bearer ${session}`);
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers['content-type']).toMatch(/application\/x-ndjson/);
    const actions = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.login', 'personal_access_token.create', 'user.read_self', 'personal_access_token.list']),
    );
  });
});
