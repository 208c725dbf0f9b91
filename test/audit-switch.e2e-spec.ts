import { DataSource } from 'typeorm';
import { AuditEvent, AuditWriter } from './support/library-internals';
import { TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';

describe.each(testDatabases())('AUDIT_ENABLED=false on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      audit: {
        enabled: false,
        retentionDays: 365,
        retentionCron: false,
        reads: 'counted',
        maxBufferedEvents: 10_000,
        maxCountedKeys: 10_000,
        backpressureTimeoutMs: 2000,
      },
    });
  });
  afterAll(() => t.close());

  it('serves requests and records nothing', async () => {
    const admin = await t.loginAdmin();
    const { token } = await t.mintToken(admin, { scopes: ['user:read'] });
    expect((await t.get('/user/me', { token })).status).toBe(200);
    expect((await t.get('/user/me')).status).toBe(401);
    await t.app.get(AuditWriter).flush();
    expect(await t.app.get(DataSource).getRepository(AuditEvent).count()).toBe(0);
  });
});
