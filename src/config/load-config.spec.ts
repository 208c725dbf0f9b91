import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { loadAppConfig } from './load-config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'pat-config-'));
const problemsOf = (env: Record<string, string>) => {
  try {
    loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadAppConfig', () => {
  it('runs on SQLite with nothing configured, generating a private pepper once', () => {
    const dir = dataDir();
    const first = loadAppConfig({ DATA_DIR: dir });
    expect(first.database).toEqual({ type: 'sqlite', file: join(dir, 'pat-service.sqlite') });
    expect(first.port).toBe(3000);
    expect(first.peppers[0].length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, 'token-pepper')).mode & 0o777).toBe(0o600);
    expect(loadAppConfig({ DATA_DIR: dir }).peppers).toEqual(first.peppers);
  });

  it('reads TRUST_PROXY as true, false, or a list of IPv4 and IPv6 addresses and CIDRs', () => {
    const dir = dataDir();
    expect(loadAppConfig({ DATA_DIR: dir, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadAppConfig({ DATA_DIR: dir }).trustProxy).toBe(false);
    expect(loadAppConfig({ DATA_DIR: dir, TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8, ::1, loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      '::1',
      'loopback',
    ]);
  });

  it.each(['10.0.0.0/33', 'proxy.internal', '300.1.1.1', '10.0.0.1/8/2', 'fd00::/129', '10.0.0.1/', ''])(
    'names a malformed TRUST_PROXY entry (%p) at start-up',
    (entry) => {
      const problems = problemsOf({ DATA_DIR: dataDir(), TRUST_PROXY: `10.0.0.1,${entry}` });
      expect(problems).toEqual([expect.stringContaining(`"${entry}"`)]);
      expect(problems[0]).toMatch(/^TRUST_PROXY/);
    },
  );

  it('requires a configured pepper with MySQL', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/pat', DATA_DIR: dataDir() })).toEqual([
      expect.stringMatching(/TOKEN_PEPPER is required/),
    ]);
    const config = loadAppConfig({
      DATABASE_URL: 'mariadb://u:p@db:3306/pat',
      TOKEN_PEPPER: 'x'.repeat(32),
      TOKEN_PEPPER_PREVIOUS: 'y'.repeat(40),
    });
    expect(config.database).toEqual({ type: 'mysql', flavor: 'mariadb', url: 'mysql://u:p@db:3306/pat', poolSize: 10 });
    expect(config.peppers).toEqual(['x'.repeat(32), 'y'.repeat(40)]);
  });

  it('reports every bad value at once', () => {
    const problems = problemsOf({
      DATA_DIR: dataDir(),
      PORT: 'eighty',
      PAT_ALLOW_NO_EXPIRY: 'maybe',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'postgres://x',
      TOKEN_PREFIX: 'PAT',
    });
    for (const name of ['PORT', 'PAT_ALLOW_NO_EXPIRY', 'LOG_LEVEL', 'DATABASE_URL', 'TOKEN_PREFIX', 'TOKEN_PEPPER']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('refuses a short pepper and a short admin password', () => {
    expect(problemsOf({ DATA_DIR: dataDir(), TOKEN_PEPPER: 'short', ADMIN_PASSWORD: 'short' })).toHaveLength(2);
  });

  it('reads product scopes from SCOPES_FILE', () => {
    const dir = dataDir();
    const file = join(dir, 'scopes.json');
    writeFileSync(file, JSON.stringify({ resources: [{ resource: 'dashboards', description: 'Dashboards', actions: ['read', 'share'] }] }));
    expect(loadAppConfig({ DATA_DIR: dir, SCOPES_FILE: file }).productScopes).toEqual([
      { resource: 'dashboards', description: 'Dashboards', actions: ['read', 'share'] },
    ]);
    const flagged = { resource: 'billing', actions: ['read', 'write'], requiresApproval: ['write'], sensitive: true };
    writeFileSync(file, JSON.stringify({ resources: [flagged] }));
    expect(loadAppConfig({ DATA_DIR: dir, SCOPES_FILE: file }).productScopes).toEqual([{ ...flagged, description: undefined }]);
    writeFileSync(file, '{"resources": [{"resource": 1}]}');
    expect(problemsOf({ DATA_DIR: dir, SCOPES_FILE: file })[0]).toMatch(/SCOPES_FILE/);
    expect(readFileSync(file, 'utf8')).toContain('resource');
  });

  it('schedules the expiry job by cron (or not at all) and needs a secret with a webhook', () => {
    const dir = dataDir();
    expect(loadAppConfig({ DATA_DIR: dir }).expiryJob).toEqual({
      cron: '* * * * *',
      batchSize: null,
      revokeUnusedAfterDays: null,
      noticeLeadDays: [30, 7, 1, 0],
    });
    expect(loadAppConfig({ DATA_DIR: dir }).webhook).toBeNull();
    const configured = loadAppConfig({
      DATA_DIR: dir,
      EXPIRY_JOB_CRON: 'off',
      PAT_REVOKE_UNUSED_AFTER_DAYS: '90',
      WEBHOOK_URL: 'https://hooks.example.com/pat',
      WEBHOOK_SECRET: 's'.repeat(32),
    });
    expect(configured.expiryJob).toMatchObject({ cron: false, revokeUnusedAfterDays: 90 });
    expect(configured.webhook).toEqual({ url: 'https://hooks.example.com/pat', secret: 's'.repeat(32), maxAttempts: 8 });
    const problems = problemsOf({ DATA_DIR: dir, EXPIRY_JOB_CRON: 'every minute', WEBHOOK_URL: 'ftp://x' });
    for (const name of ['EXPIRY_JOB_CRON', 'WEBHOOK_URL', 'WEBHOOK_SECRET']) expect(problems.some((p) => p.startsWith(name))).toBe(true);
  });

  it('keeps audit events a year by default, purged hourly', () => {
    const dir = dataDir();
    expect(loadAppConfig({ DATA_DIR: dir }).audit).toEqual({
      enabled: true,
      retentionDays: 365,
      retentionCron: '0 * * * *',
      reads: 'counted',
      maxBufferedEvents: 10_000,
      maxCountedKeys: 10_000,
      backpressureTimeoutMs: 2000,
    });
    expect(
      loadAppConfig({
        DATA_DIR: dir,
        AUDIT_RETENTION_DAYS: '30',
        AUDIT_RETENTION_CRON: 'off',
        AUDIT_ENABLED: 'false',
        AUDIT_READS: 'each',
        AUDIT_MAX_BUFFERED_EVENTS: '100',
        AUDIT_MAX_COUNTED_KEYS: '200',
        AUDIT_BACKPRESSURE_TIMEOUT_MS: '500',
      }).audit,
    ).toEqual({
      enabled: false,
      retentionDays: 30,
      retentionCron: false,
      reads: 'each',
      maxBufferedEvents: 100,
      maxCountedKeys: 200,
      backpressureTimeoutMs: 500,
    });
    const problems = problemsOf({
      DATA_DIR: dir,
      AUDIT_RETENTION_DAYS: '0',
      AUDIT_RETENTION_CRON: 'hourly',
      AUDIT_READS: 'some',
      AUDIT_MAX_COUNTED_KEYS: 'many',
      AUDIT_BACKPRESSURE_TIMEOUT_MS: '0',
    });
    for (const name of [
      'AUDIT_RETENTION_DAYS',
      'AUDIT_RETENTION_CRON',
      'AUDIT_READS',
      'AUDIT_MAX_COUNTED_KEYS',
      'AUDIT_BACKPRESSURE_TIMEOUT_MS',
    ])
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
  });

  it('serves the self-service page at /page unless told another path of its own, or off', () => {
    const dir = dataDir();
    expect(loadAppConfig({ DATA_DIR: dir }).page).toEqual({ path: '/page' });
    expect(loadAppConfig({ DATA_DIR: dir, PAGE_PATH: '/self-service/tokens' }).page).toEqual({ path: '/self-service/tokens' });
    expect(loadAppConfig({ DATA_DIR: dir, PAGE_PATH: 'off' }).page).toBeNull();
    for (const path of ['page', '/docs', '/user/me', '/a//b', '/page/', '/p?x=1'])
      expect(problemsOf({ DATA_DIR: dir, PAGE_PATH: path })).toEqual([expect.stringMatching(/^PAGE_PATH must be a path of its own/)]);
  });
});
