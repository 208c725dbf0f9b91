import { DataSource, IsNull, Not } from 'typeorm';
import { AuditEvent, AuditWriter } from './support/library-internals';
import { MINUTE, SECOND } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BOGUS = 'pat_' + 'A'.repeat(32) + 'AAAAAA';

async function rowsOf(t: TestApp, where: Partial<Record<keyof AuditEvent, unknown>>): Promise<AuditEvent[]> {
  await t.app.get(AuditWriter).flush();
  return t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .find({ where: where as never, order: { occurredAt: 'ASC', id: 'ASC' } });
}

describe.each(testDatabases())('counted reads and refusal roll-ups on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let pat: { id: string; token: string };

  beforeAll(async () => {
    t = await TestApp.start(database);
    t.clock.set(new Date('2026-06-01T09:00:00.000Z'));
    alice = await t.createUser('member');
    pat = await t.mintToken(alice.session, { name: 'ci', scopes: ['user:read', 'audit:read'] });
  });
  afterAll(() => t.close());

  it('counts reads into one row per user, token, address and minute, with the first and last time', async () => {
    for (let i = 0; i < 30; i++) {
      t.clock.set(new Date(Date.parse('2026-06-01T09:00:05.000Z') + i * SECOND));
      const ip = i % 3 ? '10.0.0.1' : '10.0.0.2';
      expect((await t.get('/user/me', { token: pat.token, ip })).status).toBe(200);
      // Flushed half way: the same key in the same minute stays one row.
      if (i === 14) await t.app.get(AuditWriter).flush();
    }
    t.clock.set(new Date('2026-06-01T09:01:10.000Z'));
    expect((await t.get('/user/me', { token: pat.token, ip: '10.0.0.1' })).status).toBe(200);

    const rows = await rowsOf(t, { tokenId: pat.id, action: 'user.read_self' });
    expect(rows.map((r) => [r.ip, r.count, r.occurredAt.toISOString(), r.lastOccurredAt?.toISOString()])).toEqual([
      ['10.0.0.2', 10, '2026-06-01T09:00:05.000Z', '2026-06-01T09:00:32.000Z'],
      ['10.0.0.1', 20, '2026-06-01T09:00:06.000Z', '2026-06-01T09:00:34.000Z'],
      ['10.0.0.1', 1, '2026-06-01T09:01:10.000Z', '2026-06-01T09:01:10.000Z'],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ subjectUserId: alice.id, tokenName: 'ci', outcome: 'success', statusCode: 200, requestId: null });
    }
  });

  it("shows roll-ups in the token's trail, the owner's trail, the admin query and the CSV export", async () => {
    const trail = await t.get(`/user/me/audit-events?tokenId=${pat.id}&action=user.read_self`, { token: alice.session });
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: any) => [e.kind, e.ip, e.count, e.occurredAt, e.lastOccurredAt])).toEqual([
      ['rollup', '10.0.0.1', 1, '2026-06-01T09:01:10.000Z', '2026-06-01T09:01:10.000Z'],
      ['rollup', '10.0.0.1', 20, '2026-06-01T09:00:06.000Z', '2026-06-01T09:00:34.000Z'],
      ['rollup', '10.0.0.2', 10, '2026-06-01T09:00:05.000Z', '2026-06-01T09:00:32.000Z'],
    ]);
    const create = await t.get(`/user/me/audit-events?tokenId=${pat.id}&action=personal_access_token.create`, { token: alice.session });
    expect(create.body.items).toEqual([expect.objectContaining({ kind: 'event', count: 1, targetId: pat.id })]);
    expect(create.body.items[0].lastOccurredAt).toBe(create.body.items[0].occurredAt);

    const admin = await t.loginAdmin();
    const all = await t.get(`/admin/audit-events?userId=${alice.id}&action=user.read_self`, { token: admin });
    expect(all.body.items.map((e: any) => e.count)).toEqual([1, 20, 10]);

    const csv = await t.get(`/user/me/audit-events?format=csv&tokenId=${pat.id}&action=user.read_self`, { token: alice.session });
    const [header, ...lines] = String(csv.body).trim().split('\r\n');
    const columns = header.split(',');
    const cells = lines.map((line) => line.split(','));
    expect(cells.map((c) => [c[columns.indexOf('kind')], c[columns.indexOf('count')], c[columns.indexOf('lastOccurredAt')]])).toEqual([
      ['rollup', '1', '2026-06-01T09:01:10.000Z'],
      ['rollup', '20', '2026-06-01T09:00:34.000Z'],
      ['rollup', '10', '2026-06-01T09:00:32.000Z'],
    ]);
  });

  it('rolls a refusal flood up by kind: its first as an event, the rest of its minute counted', async () => {
    t.clock.set(new Date('2026-06-01T10:00:00.000Z'));
    const sent = { '10.9.0.1': 120, '10.9.0.2': 40 };
    for (const [ip, times] of Object.entries(sent)) {
      for (let i = 0; i < times; i++) {
        t.clock.advance(100);
        expect((await t.get('/user/me', { token: BOGUS, ip })).status).toBe(401);
      }
    }
    const rows = await rowsOf(t, { action: 'user.read_self', outcome: 'denied', statusCode: 401 });
    const flood = rows.filter((r) => r.ip === '10.9.0.1' || r.ip === '10.9.0.2');
    // Four rows for 160 refusals: an event of its own (with its request id) and a roll-up per address.
    expect(flood.map((r) => [r.ip, r.count, r.lastOccurredAt === null, r.requestId !== null])).toEqual([
      ['10.9.0.1', 1, true, true],
      ['10.9.0.1', 119, false, false],
      ['10.9.0.2', 1, true, true],
      ['10.9.0.2', 39, false, false],
    ]);
    expect(flood.every((r) => JSON.parse(r.details!).code === 'invalid_token')).toBe(true);
    // The next minute's first is an event again.
    t.clock.advance(MINUTE);
    expect((await t.get('/user/me', { token: BOGUS, ip: '10.9.0.1' })).status).toBe(401);
    const next = await rowsOf(t, { ip: '10.9.0.1', outcome: 'denied', lastOccurredAt: IsNull() });
    expect(next).toHaveLength(2);
  });

  it("rolls up a known token's refusals in its owner's trail", async () => {
    const revoked = await t.mintToken(alice.session, { name: 'gone', scopes: ['user:read'] });
    expect((await t.post(`/user/me/personal-access-tokens/${revoked.id}/revoke`, {}, { token: alice.session })).status).toBe(200);
    for (let i = 0; i < 25; i++) {
      t.clock.advance(10);
      expect((await t.get('/user/me', { token: revoked.token, ip: '10.8.0.1' })).status).toBe(401);
    }
    const trail = await t.get(`/user/me/audit-events?tokenId=${revoked.id}&outcome=denied`, { token: alice.session });
    expect(trail.body.items.map((e: any) => [e.kind, e.count])).toEqual([
      ['rollup', 24],
      ['event', 1],
    ]);
  });
});

describe.each(testDatabases())("audit.reads 'each' on $name", (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      audit: {
        enabled: true,
        retentionDays: 365,
        retentionCron: false,
        reads: 'each',
        maxBufferedEvents: 10_000,
        maxCountedKeys: 10_000,
        backpressureTimeoutMs: 2000,
      },
    });
  });
  afterAll(() => t.close());

  it('writes one event per read, each with its request id', async () => {
    const user = await t.createUser('member');
    const ids = Array.from({ length: 12 }, (_, i) => `each-${i}-${user.id.slice(0, 8)}`);
    for (const id of ids) expect((await t.get('/user/me', { token: user.session, headers: { 'x-request-id': id } })).status).toBe(200);
    const rows = await rowsOf(t, { subjectUserId: user.id, action: 'user.read_self' });
    expect(rows.map((r) => [r.requestId, r.count, r.lastOccurredAt])).toEqual(ids.map((id) => [id, 1, null]));
    expect(await rowsOf(t, { subjectUserId: user.id, lastOccurredAt: Not(IsNull()) })).toEqual([]);
  });
});
