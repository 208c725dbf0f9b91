import { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from '../core/unit-of-work';
import { resolveOptions } from '../core/personal-access-tokens.options';
import { AuditEvent } from './audit-event.entity';
import { AuditWriter, timeOrderedId } from './audit-writer';

/** A database whose writes wait until the test lets them through. */
class GatedDatabase {
  readonly inserts: AuditEvent[][] = [];
  readonly statements: string[] = [];
  /** While set, every write fails (a database that is down). */
  failing = false;
  private gate?: { promise: Promise<void>; open(): void };

  close(): void {
    let open!: () => void;
    this.gate = { promise: new Promise<void>((resolve) => (open = resolve)), open };
  }

  open(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Reads the rows back out of the writer's multi-row INSERT parameters. */
  unitOfWork(): UnitOfWork {
    const columns = connection.getMetadata(AuditEvent).columns;
    const manager = {
      connection,
      query: async (sql: string, values: unknown[]) => {
        await this.gate?.promise;
        if (this.failing) throw new Error('connection lost');
        this.statements.push(sql);
        const rows: AuditEvent[] = [];
        for (let i = 0; i < values.length; i += columns.length) {
          rows.push(Object.fromEntries(columns.map((column, c) => [column.propertyName, values[i + c]])) as unknown as AuditEvent);
        }
        this.inserts.push(rows);
      },
    } as unknown as EntityManager;
    return { run: (work: (m: EntityManager) => Promise<unknown>) => work(manager) } as unknown as UnitOfWork;
  }
}

const event = (n: number): AuditEvent => ({ id: timeOrderedId(), action: `read.${n}`, count: 1, lastOccurredAt: null }) as AuditEvent;
const settled = () => new Promise((resolve) => setImmediate(resolve));

// Only for its metadata and driver conversions; nothing is written to it.
const connection = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [AuditEvent] });

describe('AuditWriter', () => {
  beforeAll(() => connection.initialize());
  afterAll(() => connection.destroy());
  const options = resolveOptions({ peppers: ['x'.repeat(32)], audit: { maxBufferedEvents: 250, flushIntervalMs: 60_000 } });

  it('writes buffered events as multi-row inserts of at most 100', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(db.unitOfWork(), options);
    for (let i = 0; i < 230; i++) await writer.enqueue(event(i));
    await writer.flush();
    expect(db.inserts.map((rows) => rows.length)).toEqual([100, 100, 30]);
    expect(db.inserts.flat().map((e) => e.action)).toEqual(Array.from({ length: 230 }, (_, i) => `read.${i}`));
  });

  it('counts reads into one row per key and minute, upserted, with first and last time', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(db.unitOfWork(), options);
    const read = (ip: string, second: number) =>
      ({
        ...event(0),
        action: 'user.read_self',
        outcome: 'success',
        ip,
        occurredAt: new Date(Date.UTC(2026, 0, 1, 9, 0, second)),
      }) as AuditEvent;
    for (let i = 0; i < 300; i++) expect(writer.count(read(i % 3 ? '10.0.0.1' : '10.0.0.2', i % 60), 'read')).toBe('counted');
    writer.count({ ...read('10.0.0.1', 0), occurredAt: new Date(Date.UTC(2026, 0, 1, 9, 1, 0)) }, 'read');
    await writer.flush();
    const rows = db.inserts.flat();
    expect(rows.map((r) => [r.ip, r.count]).sort()).toEqual(
      [
        ['10.0.0.1', 200],
        ['10.0.0.1', 1],
        ['10.0.0.2', 100],
      ].sort(),
    );
    const nine = rows.find((r) => r.ip === '10.0.0.1' && r.count === 200)!;
    expect([nine.occurredAt, nine.lastOccurredAt, nine.requestId]).toEqual(['2026-01-01 09:00:01.000', '2026-01-01 09:00:59.000', null]);
    expect(
      db.statements.every((sql) => sql.includes('ON CONFLICT (id) DO UPDATE SET event_count = event_count + excluded.event_count')),
    ).toBe(true);
    // The same key in the same minute, flushed later: the same row id, so the database adds it up.
    writer.count(read('10.0.0.2', 30), 'read');
    await writer.flush();
    expect(db.inserts.flat().at(-1)!.id).toBe(rows.find((r) => r.ip === '10.0.0.2')!.id);
    expect(writer.held().readKeys).toBe(0);
  });

  it('writes the first refusal of a kind as an event and counts the rest of its minute', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(db.unitOfWork(), options);
    const refusal = () =>
      ({
        ...event(0),
        action: 'user.read_self',
        outcome: 'denied',
        statusCode: 401,
        ip: '10.0.0.9',
        details: '{"code":"invalid_token"}',
        occurredAt: new Date(Date.UTC(2026, 0, 1, 9, 0, 5)),
      }) as AuditEvent;
    expect(writer.count(refusal(), 'refusal')).toBe('first');
    for (let i = 0; i < 999; i++) expect(writer.count(refusal(), 'refusal')).toBe('counted');
    await writer.flush();
    expect(writer.count(refusal(), 'refusal')).toBe('counted');
    await writer.flush();
    expect(db.inserts.flat().map((r) => r.count)).toEqual([999, 1]);
  });

  it('holds new requests while the buffer is full and lets them in as it drains', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(db.unitOfWork(), options);
    db.close();
    for (let i = 0; i < 250; i++) await writer.enqueue(event(i));
    expect(writer.hasRoom()).toBe(false);
    let admitted: boolean | undefined;
    const waiting = writer.waitForRoom().then((ok) => (admitted = ok));
    await settled();
    expect(admitted).toBeUndefined();
    db.open();
    await waiting;
    expect(admitted).toBe(true);
    await writer.flush();
    expect(db.inserts.flat()).toHaveLength(250);
  });

  it('refuses room after the timeout when the database stays down, keeps every row, and writes them once it is back', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(
      db.unitOfWork(),
      resolveOptions({
        peppers: ['x'.repeat(32)],
        audit: { maxBufferedEvents: 250, maxCountedKeys: 50, flushIntervalMs: 60_000, backpressureTimeoutMs: 50 },
      }),
    );
    db.failing = true;
    for (let i = 0; i < 250; i++) await writer.enqueue(event(i));
    for (let i = 0; i < 60; i++)
      writer.count({ ...event(0), outcome: 'success', ip: `10.0.1.${i}`, occurredAt: new Date() } as AuditEvent, 'read');
    await expect(writer.flush()).rejects.toThrow('connection lost');
    expect(await writer.waitForRoom()).toBe(false);
    // Past twice the bound a single event is folded into a coarse roll-up: bounded, and still counted.
    for (let i = 250; i < 600; i++)
      await writer.enqueue({ ...event(i), action: 'read.x', outcome: 'denied', occurredAt: new Date() } as AuditEvent);
    expect(writer.held().events).toBe(500);
    db.failing = false;
    await writer.flush();
    const rows = db.inserts.flat();
    expect(rows.filter((r) => r.count === 1 && !r.lastOccurredAt)).toHaveLength(500);
    expect(rows.filter((r) => r.lastOccurredAt).reduce((sum, r) => sum + r.count, 0)).toBe(60 + 100);
    expect(rows.find((r) => r.action === 'read.x' && r.lastOccurredAt)).toMatchObject({ count: 100, ip: null, subjectUserId: null });
    expect(writer.held()).toEqual({ events: 0, readKeys: 0, refusalKeys: 1 });
    expect(await writer.waitForRoom()).toBe(true);
  });

  it('flushes on shutdown and then writes each event at once', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(db.unitOfWork(), options);
    for (let i = 0; i < 3; i++) await writer.enqueue(event(i));
    await writer.beforeApplicationShutdown();
    expect(db.inserts.flat()).toHaveLength(3);
    await writer.enqueue(event(3));
    expect(db.inserts.flat()).toHaveLength(4);
  });

  it('makes time-ordered ids', () => {
    const ids = [timeOrderedId(1_000), timeOrderedId(2_000), timeOrderedId(3_000)];
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
