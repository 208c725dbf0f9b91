import { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource, MoreThan } from 'typeorm';
import { SessionsService } from '../libs/personal-access-tokens/src';
import { loadAppConfig } from '../src/config/load-config';
import { startExpressApp } from './support/express-app';
import { AuditEvent, AuditWriter } from './support/library-internals';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';
const at = (iso: string) => new Date(iso);

interface Bucket {
  start: string;
  success: number;
  denied: number;
  error: number;
}

/** The non-empty buckets, as [start, success, denied, error]. */
const busy = (buckets: Bucket[]) =>
  buckets.filter((b) => b.success + b.denied + b.error > 0).map((b) => [b.start, b.success, b.denied, b.error]);

/**
 * A token's usage (requests per hour or day by outcome, its addresses) and the busiest tokens,
 * counted from the audit trail: the counts must be the requests made, roll-ups of counted reads
 * and refusals included, on both databases.
 */
describe.each(testDatabases())('token usage on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let admin: string;
  let ci: { id: string; token: string; name: string };
  let bulk: { id: string; token: string; name: string };
  let once: { id: string; token: string; name: string };

  /** `times` requests with `token` at `iso` (one second apart), each answered with `status`. */
  async function send(token: string, iso: string, times: number, ip: string, url: string, status: number) {
    for (let i = 0; i < times; i++) {
      t.clock.set(new Date(Date.parse(iso) + i * 1000));
      expect((await t.get(url, { token, ip })).status).toBe(status);
    }
  }

  /** A session issued now (they last 12 hours; the tokens were made days ago). */
  async function freshSession(user: TestUser): Promise<void> {
    const session = await t.app.get(SessionsService).issue(user.id);
    t.secrets.add(session.secret);
    user.session = session.secret;
  }

  beforeAll(async () => {
    t = await TestApp.start(database);
    t.clock.set(at('2026-05-29T11:00:00.000Z'));
    alice = await t.createUser('member');
    bob = await t.createUser('member');
    ci = await t.mintToken(alice.session, { name: 'ci', scopes: ['user:read', 'personal_access_tokens:read'] });
    bulk = await t.mintToken(alice.session, { name: 'bulk', scopes: ['user:read'] });
    once = await t.mintToken(bob.session, { name: 'once', scopes: ['user:read'] });

    // Three days ago: 6 reads.
    await send(ci.token, '2026-05-29T12:00:10.000Z', 6, '10.0.0.6', '/user/me', 200);
    // Today, 07:10: 5 reads from 10.0.0.7.
    await send(ci.token, '2026-06-01T07:10:00.000Z', 5, '10.0.0.7', '/user/me', 200);
    // 08:30 from 10.0.0.8: 3 reads, 2 refused (no audit:read), 1 failed (no such token: 404).
    await send(ci.token, '2026-06-01T08:30:00.000Z', 3, '10.0.0.8', '/user/me', 200);
    await send(ci.token, '2026-06-01T08:31:00.000Z', 2, '10.0.0.8', '/user/me/audit-events', 403);
    await send(ci.token, '2026-06-01T08:32:00.000Z', 1, '10.0.0.8', `${BASE}/${randomUUID()}`, 404);
    // 09:05 from 10.0.0.9: 4 reads, flushed half way (the same minute's roll-up grows).
    await send(ci.token, '2026-06-01T09:05:00.000Z', 2, '10.0.0.9', '/user/me', 200);
    await t.app.get(AuditWriter).flush();
    await send(ci.token, '2026-06-01T09:05:30.000Z', 2, '10.0.0.9', '/user/me', 200);
    // The other tokens: 20 reads today, and 1.
    await send(bulk.token, '2026-06-01T09:10:00.000Z', 20, '10.0.1.1', '/user/me', 200);
    await send(once.token, '2026-06-01T09:12:00.000Z', 1, '10.0.2.1', '/user/me', 200);
    // Not a request made with the token: looking at it, and the system's own action on it.
    t.clock.set(at('2026-06-01T09:20:00.000Z'));
    await freshSession(alice);
    await freshSession(bob);
    admin = await t.loginAdmin();
    expect((await t.get(`${BASE}/${ci.id}`, { token: alice.session })).status).toBe(200);
    t.clock.set(at('2026-06-01T09:30:00.000Z'));
  });
  afterAll(() => t.close());

  it('counts per hour what was sent, by outcome, reads counted as roll-ups', async () => {
    const usage = await t.get(`${BASE}/${ci.id}/usage?granularity=hour&days=1`, { token: alice.session });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      tokenId: ci.id,
      granularity: 'hour',
      from: '2026-05-31T10:00:00.000Z',
      to: '2026-06-01T10:00:00.000Z',
      totals: { success: 12, denied: 2, error: 1, total: 15 },
    });
    expect(usage.body.buckets).toHaveLength(24);
    expect(usage.body.buckets[0].start).toBe('2026-05-31T10:00:00.000Z');
    expect(busy(usage.body.buckets)).toEqual([
      ['2026-06-01T07:00:00.000Z', 5, 0, 0],
      ['2026-06-01T08:00:00.000Z', 3, 2, 1],
      ['2026-06-01T09:00:00.000Z', 4, 0, 0],
    ]);
    // The counts came from roll-up rows, not one row per request.
    const rows = await t.app
      .get(DataSource)
      .getRepository(AuditEvent)
      .find({ where: { tokenId: ci.id, count: MoreThan(1) } });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.find((r) => r.ip === '10.0.0.9')?.count).toBe(4);
  });

  it('lists the addresses, the most recently seen first, with their requests and refusals', async () => {
    const usage = await t.get(`${BASE}/${ci.id}/usage?granularity=day&days=7`, { token: alice.session });
    expect(usage.body.addresses).toEqual([
      { ip: '10.0.0.9', lastSeenAt: '2026-06-01T09:05:31.000Z', requests: 4, denied: 0 },
      { ip: '10.0.0.8', lastSeenAt: '2026-06-01T08:32:00.000Z', requests: 6, denied: 2 },
      { ip: '10.0.0.7', lastSeenAt: '2026-06-01T07:10:04.000Z', requests: 5, denied: 0 },
      { ip: '10.0.0.6', lastSeenAt: '2026-05-29T12:00:15.000Z', requests: 6, denied: 0 },
    ]);
  });

  it('counts per day over 30 days, and per hour over 7 days', async () => {
    const days = await t.get(`${BASE}/${ci.id}/usage?granularity=day`, { token: alice.session });
    expect(days.status).toBe(200);
    expect(days.body).toMatchObject({ from: '2026-05-03T00:00:00.000Z', to: '2026-06-02T00:00:00.000Z' });
    expect(days.body.buckets).toHaveLength(30);
    expect(busy(days.body.buckets)).toEqual([
      ['2026-05-29T00:00:00.000Z', 6, 0, 0],
      ['2026-06-01T00:00:00.000Z', 12, 2, 1],
    ]);
    const week = await t.get(`${BASE}/${ci.id}/usage?granularity=hour&days=7`, { token: alice.session });
    expect(week.body.buckets).toHaveLength(168);
    expect(busy(week.body.buckets)[0]).toEqual(['2026-05-29T12:00:00.000Z', 6, 0, 0]);
    expect(week.body.totals.total).toBe(21);
  });

  it("gives an administrator the same counts for anyone's token", async () => {
    const own = await t.get(`${BASE}/${ci.id}/usage?granularity=day&days=7`, { token: alice.session });
    const theirs = await t.get(`/admin/personal-access-tokens/${ci.id}/usage?granularity=day&days=7`, { token: admin });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual(own.body);
    expect((await t.get(`/admin/personal-access-tokens/${randomUUID()}/usage`, { token: admin })).status).toBe(404);
    expect((await t.get(`/admin/personal-access-tokens/${ci.id}/usage`, { token: alice.session })).status).toBe(403);
  });

  it.each([
    ['granularity=null', 'granularity'],
    ['granularity=week', 'granularity'],
    ['granularity=', 'granularity'],
    ['granularity=hour&granularity=day', 'granularity'],
    ['days=null', 'days'],
    ['days=abc', 'days'],
    ['days=1.5', 'days'],
    ['days=0', 'days'],
    ['days=-3', 'days'],
    ['days=', 'days'],
    ['days=1&days=2', 'days'],
    ['granularity=hour&days=8', 'days'],
    ['granularity=day&days=91', 'days'],
    ['days=99999999999999999999', 'days'],
    ['from=2026-01-01T00:00:00Z', 'from'],
  ])('refuses ?%s with a 400 naming %s', async (search, field) => {
    const answer = await t.get(`${BASE}/${ci.id}/usage?${search}`, { token: alice.session });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    expect(answer.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    const byAdmin = await t.get(`/admin/personal-access-tokens/${ci.id}/usage?${search}`, { token: admin });
    expect([byAdmin.status, byAdmin.body.details?.[0]?.field]).toEqual([400, field]);
  });

  it('says how far back each granularity reaches', async () => {
    const hour = await t.get(`${BASE}/${ci.id}/usage?granularity=hour&days=8`, { token: alice.session });
    expect(hour.body.details).toEqual([{ field: 'days', reason: 'must not be greater than 7 with granularity hour' }]);
    expect((await t.get(`${BASE}/${ci.id}/usage?granularity=day&days=90`, { token: alice.session })).status).toBe(200);
  });

  it('ranks the busiest tokens over the chosen window, with owner, refusals and last use', async () => {
    const day = await t.get('/admin/personal-access-tokens/busiest?window=24h', { token: admin });
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ window: '24h', from: '2026-05-31T09:30:00.000Z', to: '2026-06-01T09:30:00.000Z' });
    expect(day.body.items.map((i: any) => [i.tokenName, i.ownerEmail, i.requests, i.denied, i.errors, i.lastUsedAt])).toEqual([
      ['bulk', alice.email, 20, 0, 0, '2026-06-01T09:10:19.000Z'],
      ['ci', alice.email, 15, 2, 1, '2026-06-01T09:05:31.000Z'],
      ['once', bob.email, 1, 0, 0, '2026-06-01T09:12:00.000Z'],
    ]);
    expect(day.body.items[0]).toMatchObject({ tokenId: bulk.id, userId: alice.id, status: 'active' });
    // Over 7 days, ci's older reads put it first.
    const week = await t.get('/admin/personal-access-tokens/busiest?window=7d&limit=2', { token: admin });
    expect(week.body.items.map((i: any) => [i.tokenName, i.requests])).toEqual([
      ['ci', 21],
      ['bulk', 20],
    ]);
  });

  it.each([
    ['window=null', 'window'],
    ['window=1y', 'window'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=null', 'limit'],
    ['userId=x', 'userId'],
  ])('refuses busiest ?%s with a 400 naming %s', async (search, field) => {
    const answer = await t.get(`/admin/personal-access-tokens/busiest?${search}`, { token: admin });
    expect([answer.status, answer.body.details?.map((d: { field: string }) => d.field)]).toEqual([400, [field]]);
  });

  it("keeps the busiest tokens from members, and counts the system's actions on a token as no request", async () => {
    expect((await t.get('/admin/personal-access-tokens/busiest', { token: alice.session })).status).toBe(403);
    // An administrator revokes ci: an event on the token, made by no request with it.
    expect((await t.post(`/admin/personal-access-tokens/${ci.id}/revoke`, {}, { token: admin })).status).toBe(200);
    const usage = await t.get(`${BASE}/${ci.id}/usage?granularity=day&days=7`, { token: alice.session });
    expect(usage.body.totals).toEqual({ success: 18, denied: 2, error: 1, total: 21 });
    // Viewing the usage is not part of the token's trail (a refused or failed look is, as for any view).
    const trail = await t.get(`/user/me/audit-events?tokenId=${ci.id}&limit=200`, { token: alice.session });
    const looks = trail.body.items.filter((e: { action: string }) => e.action.endsWith('read_usage'));
    expect(looks.length).toBeGreaterThan(0);
    expect(looks.filter((e: { outcome: string }) => e.outcome === 'success')).toEqual([]);
  });

  it("answers 404 for another user's token, and lets a token read its own usage only with the scope", async () => {
    const theirs = await t.get(`${BASE}/${ci.id}/usage`, { token: bob.session });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toMatchObject({ code: 'token_not_found' });
    expect(JSON.stringify(theirs.body)).not.toContain('10.0.0');
    // A token on itself needs no scope; on another of the owner's tokens it needs personal_access_tokens:read.
    expect((await t.get(`${BASE}/${bulk.id}/usage`, { token: bulk.token, ip: '10.0.1.1' })).status).toBe(200);
    expect((await t.get(`${BASE}/${ci.id}/usage`, { token: bulk.token, ip: '10.0.1.1' })).status).toBe(403);
    expect((await t.get(`${BASE}/not-a-uuid/usage`, { token: alice.session })).status).toBe(400);
  });
});

/** On Express, routes match in the order they are registered: `busiest` must not be read as a token id. */
describe('token usage on the Express adapter', () => {
  const PASSWORD = 'express usage password';
  let app: INestApplication;
  let close: () => Promise<void>;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pat-usage-express-'));
    const config = loadAppConfig({
      DATA_DIR: dataDir,
      ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: PASSWORD,
      EXPIRY_JOB_CRON: 'off',
      AUDIT_RETENTION_CRON: 'off',
      PAGE_PATH: 'off',
    });
    ({ app, close } = await startExpressApp(config));
  });
  afterAll(async () => {
    try {
      await close?.();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("answers the busiest tokens and a token's usage", async () => {
    const server = app.getHttpServer();
    const login = await request(server).post('/auth/login').send({ email: 'admin@example.test', password: PASSWORD });
    const session = login.body.accessToken as string;
    const created = await request(server)
      .post('/user/me/personal-access-tokens')
      .set('authorization', `Bearer ${session}`)
      .send({ name: 'express-usage', scopes: ['user:read'] });
    expect(created.status).toBe(201);
    for (let i = 0; i < 3; i++)
      expect((await request(server).get('/user/me').set('authorization', `Bearer ${created.body.token}`)).status).toBe(200);
    const busiest = await request(server).get('/admin/personal-access-tokens/busiest?window=24h').set('authorization', `Bearer ${session}`);
    expect(busiest.status).toBe(200);
    expect(busiest.body.items.map((i: { tokenName: string; requests: number }) => [i.tokenName, i.requests])).toEqual([
      ['express-usage', 3],
    ]);
    const usage = await request(server)
      .get(`/admin/personal-access-tokens/${created.body.id}/usage`)
      .set('authorization', `Bearer ${session}`);
    expect(usage.body.totals).toEqual({ success: 3, denied: 0, error: 0, total: 3 });
  });
});
