import { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from '../core/unit-of-work';
import { resolveOptions } from '../core/personal-access-tokens.options';
import { AuditEvent } from './audit-event.entity';
import { AuditWriter, timeOrderedId } from './audit-writer';

/** A database whose writes wait until the test lets them through. */
class GatedDatabase {
  readonly inserts: AuditEvent[][] = [];
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
      query: async (_sql: string, values: unknown[]) => {
        await this.gate?.promise;
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

const event = (n: number): AuditEvent => ({ id: timeOrderedId(), action: `read.${n}` }) as AuditEvent;
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

  it('makes requests wait when the buffer is full, instead of dropping or growing', async () => {
    const db = new GatedDatabase();
    const writer = new AuditWriter(db.unitOfWork(), options);
    db.close();
    for (let i = 0; i < 250; i++) await writer.enqueue(event(i));
    let accepted = false;
    const overflowing = writer.enqueue(event(250)).then(() => (accepted = true));
    await settled();
    expect(accepted).toBe(false);
    db.open();
    await overflowing;
    await writer.flush();
    expect(db.inserts.flat()).toHaveLength(251);
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
