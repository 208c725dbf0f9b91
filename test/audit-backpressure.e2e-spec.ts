import { DataSource, IsNull, Not } from 'typeorm';
import { AuditEvent, AuditWriter, UnitOfWork } from './support/library-internals';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const MAX_KEYS = 5;

/**
 * A database that cannot keep up with the audit trail, injected under the writer: its bookkeeping
 * transactions (audit rows, last-use writes) fail (`down`) or wait (`slow`) until let through.
 * Requests' own reads and changes are untouched.
 */
function injectDatabase(t: TestApp) {
  const unitOfWork = t.app.get(UnitOfWork);
  const original = unitOfWork.run.bind(unitOfWork);
  const state = { down: false, gate: undefined as Promise<void> | undefined, open: () => undefined as void };
  jest.spyOn(unitOfWork, 'run').mockImplementation(async (work, options) => {
    if (options?.bookkeeping) {
      await state.gate;
      if (state.down) throw new Error('connect ECONNREFUSED (injected)');
    }
    return original(work, options);
  });
  return {
    fail: () => (state.down = true),
    slow: () => (state.gate = new Promise<void>((resolve) => (state.open = resolve))),
    recover: () => {
      state.down = false;
      state.open();
      state.gate = undefined;
    },
  };
}

describe.each(testDatabases())('a full audit buffer on $name', (database) => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      audit: {
        enabled: true,
        retentionDays: 365,
        retentionCron: false,
        reads: 'counted',
        maxBufferedEvents: 20,
        maxCountedKeys: MAX_KEYS,
        backpressureTimeoutMs: 300,
      },
    });
    user = await t.createUser('member');
  });
  afterAll(() => t.close());

  const readFrom = (n: number) => t.get('/user/me', { token: user.session, ip: `10.7.0.${n}` });

  it('holds requests while the database is slow, and serves them once it catches up', async () => {
    const db = injectDatabase(t);
    db.slow();
    // A key per address: the bound is reached by what the clients vary.
    for (let n = 1; n <= MAX_KEYS; n++) expect((await readFrom(n)).status).toBe(200);
    expect(t.app.get(AuditWriter).hasRoom()).toBe(false);
    let answered = false;
    const held = readFrom(100).then((response) => ((answered = true), response));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Not served while its event would have no room.
    expect(answered).toBe(false);
    db.recover();
    expect((await held).status).toBe(200);
    jest.restoreAllMocks();
  });

  it('answers 503 with Retry-After past the timeout while the database fails, then counts every answered read', async () => {
    const writer = t.app.get(AuditWriter);
    await writer.flush();
    const db = injectDatabase(t);
    db.fail();
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof readFrom>> | undefined;
    for (let n = 1; n <= 12; n++) {
      const response = await readFrom(n);
      statuses.push(response.status);
      if (response.status === 503) refused = response;
    }
    // The first reads fill the bound; past it each request waited 300 ms and was refused.
    expect(statuses).toEqual([...Array(MAX_KEYS).fill(200), ...Array(12 - MAX_KEYS).fill(503)]);
    expect(refused!.headers['retry-after']).toBe('1');
    expect(refused!.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'audit_backlog',
      message: expect.stringContaining('audit trail'),
      requestId: expect.any(String),
    });
    // Held in memory within the bound, not dropped, while the database is down.
    expect(writer.held().readKeys).toBeLessThanOrEqual(MAX_KEYS);
    await expect(writer.flush()).rejects.toThrow('ECONNREFUSED');

    db.recover();
    jest.restoreAllMocks();
    expect((await readFrom(50)).status).toBe(200);
    await writer.flush();
    const rows = await t.app
      .get(DataSource)
      .getRepository(AuditEvent)
      .find({ where: { subjectUserId: user.id, action: 'user.read_self', lastOccurredAt: Not(IsNull()) } });
    const answered = statuses.filter((s) => s === 200).length + 1;
    const count = (outcome: string, status: number) =>
      rows.filter((r) => r.outcome === outcome && r.statusCode === status).reduce((sum, r) => sum + r.count, 0);
    // This test's reads and the first test's (6): every 200 answered is counted, once.
    expect(count('success', 200)).toBe(answered + MAX_KEYS + 1);
    // Every refusal is in the trail too (refused before authentication: by address, not by user):
    // the first of each address's as an event, while the refusal keys last (as many as the bound);
    // past them, counted into one coarse roll-up without an address. None lost.
    const refusals = await t.app
      .get(DataSource)
      .getRepository(AuditEvent)
      .find({ where: { statusCode: 503, action: 'user.read_self' }, order: { occurredAt: 'ASC', id: 'ASC' } });
    expect(refusals.every((r) => r.outcome === 'error' && JSON.parse(r.details!).code === 'audit_backlog')).toBe(true);
    expect(refusals.reduce((sum, r) => sum + r.count, 0)).toBe(12 - MAX_KEYS);
    expect(refusals.filter((r) => r.ip?.startsWith('10.7.0.') && !r.lastOccurredAt)).toHaveLength(MAX_KEYS);
    expect(refusals.filter((r) => r.lastOccurredAt)).toEqual([expect.objectContaining({ ip: null, count: 12 - 2 * MAX_KEYS })]);
    expect(writer.held().events).toBe(0);
  });
});
