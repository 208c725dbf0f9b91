import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { Connection, createConnection } from 'mysql2/promise';
import { tokenNameKey } from '../../libs/personal-access-tokens/src/tokens/token-name';
import { UNMATCHABLE_PASSWORD_HASH } from '../../libs/personal-access-tokens/src/users/password-hasher';

/** The seeded member role of the initial migration. */
export const MEMBER_ROLE_ID = '00000000-0000-4000-8000-000000000002';

export interface SeedUser {
  id: string;
  email: string;
}

export interface SeedToken {
  id: string;
  userId: string;
  name: string;
  digest: string;
  expiresAt: Date;
  scopes: string[];
}

/** The way TypeORM writes datetime(3) on both drivers: UTC, no zone suffix. */
export const sqlDate = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

/**
 * Bulk writes straight into the service's database, as multi-row INSERTs in large transactions:
 * a million tokens through the API would take longer than the whole benchmark may.
 */
export interface Seeder {
  insertUsers(users: SeedUser[], now: Date): Promise<void>;
  insertTokens(tokens: SeedToken[], now: Date): Promise<void>;
  /** Active tokens whose expiry has passed (what the expiry job has yet to do). */
  countDue(now: Date): Promise<number>;
  /** Cheap index probes, for polling while the service works: is any token due / already expired? */
  anyDue(now: Date): Promise<boolean>;
  anyExpired(): Promise<boolean>;
  countTokens(): Promise<number>;
  /** The token table's size and the database's page cache, to tell whether it can stay in memory. */
  storage(): Promise<string>;
  close(): Promise<void>;
}

const ROWS_PER_STATEMENT = 2000;
// Both walk IDX_pat_status_expires and stop at the first row.
const ANY_DUE = "SELECT 1 AS x FROM personal_access_tokens WHERE status = 'active' AND expires_at <= ? LIMIT 1";
const ANY_EXPIRED = "SELECT 1 AS x FROM personal_access_tokens WHERE status = 'expired' LIMIT 1";

function tokenRows(tokens: SeedToken[], now: Date): unknown[][] {
  const created = sqlDate(now);
  return tokens.map((t) => [t.id, t.userId, t.name, tokenNameKey(t.name), t.digest, 'active', created, sqlDate(t.expiresAt)]);
}

function scopeRows(tokens: SeedToken[]): unknown[][] {
  return tokens.flatMap((t) => t.scopes.map((scope) => [t.id, scope]));
}

function userRows(users: SeedUser[], now: Date): unknown[][] {
  const at = sqlDate(now);
  return users.map((u) => [u.id, u.email, 'Bench filler', UNMATCHABLE_PASSWORD_HASH, MEMBER_ROLE_ID, 1, at, at]);
}

const INSERT = {
  users: 'INSERT INTO users (id, email, display_name, password_hash, role_id, active, created_at, updated_at) VALUES ',
  tokens: 'INSERT INTO personal_access_tokens (id, user_id, name, name_key, digest, status, created_at, expires_at) VALUES ',
  scopes: 'INSERT INTO personal_access_token_scopes (token_id, scope) VALUES ',
};

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

const placeholders = (rows: unknown[][]) => rows.map((r) => `(${r.map(() => '?').join(',')})`).join(',');

class SqliteSeeder implements Seeder {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file, { timeout: 30_000 });
    this.db.pragma('journal_mode = WAL');
    // Random UUIDs and digests land all over three indexes: with SQLite's default 2 MB cache a
    // million rows take minutes of page reads; 1 GiB holds the whole file. This connection only.
    this.db.pragma('cache_size = -1048576');
    this.db.pragma('synchronous = OFF');
  }

  private insert(prefix: string, rows: unknown[][]): void {
    // SQLite allows 32766 bound parameters per statement.
    const perStatement = Math.max(1, Math.floor(32_000 / (rows[0]?.length ?? 1)));
    for (const chunk of chunks(rows, perStatement)) this.db.prepare(prefix + placeholders(chunk)).run(...chunk.flat());
  }

  async insertUsers(users: SeedUser[], now: Date): Promise<void> {
    this.db.transaction(() => this.insert(INSERT.users, userRows(users, now)))();
  }

  async insertTokens(tokens: SeedToken[], now: Date): Promise<void> {
    this.db.transaction(() => {
      this.insert(INSERT.tokens, tokenRows(tokens, now));
      this.insert(INSERT.scopes, scopeRows(tokens));
    })();
  }

  async countDue(now: Date): Promise<number> {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM personal_access_tokens WHERE status = 'active' AND expires_at <= ?")
      .get(sqlDate(now)) as { n: number };
    return row.n;
  }

  async anyDue(now: Date): Promise<boolean> {
    return this.db.prepare(ANY_DUE).get(sqlDate(now)) !== undefined;
  }

  async anyExpired(): Promise<boolean> {
    return this.db.prepare(ANY_EXPIRED).get() !== undefined;
  }

  async countTokens(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM personal_access_tokens').get() as { n: number }).n;
  }

  async storage(): Promise<string> {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return `database file ${Math.round((pages * pageSize) / 2 ** 20)} MB; the service gives SQLite a 64 MB page cache and a 1 GiB memory map`;
  }

  async close(): Promise<void> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

class MysqlSeeder implements Seeder {
  private constructor(private readonly connection: Connection) {}

  static async open(url: string): Promise<MysqlSeeder> {
    const connection = await createConnection({ uri: url, timezone: 'Z' });
    await connection.query("SET time_zone = '+00:00'");
    return new MysqlSeeder(connection);
  }

  private async insert(prefix: string, rows: unknown[][]): Promise<void> {
    for (const chunk of chunks(rows, ROWS_PER_STATEMENT)) await this.connection.query(prefix + placeholders(chunk), chunk.flat());
  }

  private async inTransaction(work: () => Promise<void>): Promise<void> {
    await this.connection.beginTransaction();
    try {
      await work();
      await this.connection.commit();
    } catch (error) {
      await this.connection.rollback();
      throw error;
    }
  }

  async insertUsers(users: SeedUser[], now: Date): Promise<void> {
    await this.inTransaction(() => this.insert(INSERT.users, userRows(users, now)));
  }

  async insertTokens(tokens: SeedToken[], now: Date): Promise<void> {
    // The rows are fresh UUIDs and random digests: InnoDB may skip uniqueness read-backs while loading.
    await this.connection.query('SET unique_checks = 0, foreign_key_checks = 0');
    try {
      await this.inTransaction(async () => {
        await this.insert(INSERT.tokens, tokenRows(tokens, now));
        await this.insert(INSERT.scopes, scopeRows(tokens));
      });
    } finally {
      await this.connection.query('SET unique_checks = 1, foreign_key_checks = 1');
    }
  }

  async countDue(now: Date): Promise<number> {
    const [rows] = await this.connection.query(
      "SELECT COUNT(*) AS n FROM personal_access_tokens WHERE status = 'active' AND expires_at <= ?",
      [sqlDate(now)],
    );
    return Number((rows as { n: number }[])[0].n);
  }

  async anyDue(now: Date): Promise<boolean> {
    const [rows] = await this.connection.query(ANY_DUE, [sqlDate(now)]);
    return (rows as unknown[]).length > 0;
  }

  async anyExpired(): Promise<boolean> {
    const [rows] = await this.connection.query(ANY_EXPIRED);
    return (rows as unknown[]).length > 0;
  }

  async countTokens(): Promise<number> {
    const [rows] = await this.connection.query('SELECT COUNT(*) AS n FROM personal_access_tokens');
    return Number((rows as { n: number }[])[0].n);
  }

  async storage(): Promise<string> {
    const [tables] = await this.connection.query(
      "SELECT (data_length + index_length) AS bytes FROM information_schema.TABLES WHERE table_schema = DATABASE() AND table_name = 'personal_access_tokens'",
    );
    const [pool] = await this.connection.query('SELECT @@innodb_buffer_pool_size AS bytes');
    const mb = (rows: unknown) => Math.round(Number((rows as { bytes: number }[])[0].bytes) / 2 ** 20);
    return `personal_access_tokens ${mb(tables)} MB (data and indexes, InnoDB's estimate) against a ${mb(pool)} MB buffer pool`;
  }

  async close(): Promise<void> {
    await this.connection.end();
  }
}

export function openSeeder(target: { sqliteFile?: string; mysqlUrl?: string }): Promise<Seeder> {
  if (target.mysqlUrl) return MysqlSeeder.open(target.mysqlUrl);
  if (!target.sqliteFile) throw new Error('openSeeder needs a SQLite file or a MySQL URL');
  return Promise.resolve(new SqliteSeeder(target.sqliteFile));
}

/**
 * Tokens nobody will present: random digests (indistinguishable from HMAC output), one scope
 * each. Within a batch the digests are sorted and the ids ascend (UUID-shaped, like time-ordered
 * ids), so each batch walks the primary key and the digest index in order instead of splitting
 * pages at random: with InnoDB's default 128 MB buffer pool, random order made seeding a million
 * rows disk-bound. Lookups by digest stay as random as in production.
 */
export function fillerTokens(from: number, to: number, users: SeedUser[], expiresAt: Date): SeedToken[] {
  const digests = Array.from({ length: to - from }, () => randomBytes(32).toString('hex')).sort();
  return digests.map((digest, n) => {
    const i = from + n;
    return {
      id: `f0000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      userId: users[i % users.length].id,
      name: `filler-${i}`,
      digest,
      expiresAt,
      scopes: ['personal_access_tokens:read'],
    };
  });
}

export function fillerUsers(count: number): SeedUser[] {
  return Array.from({ length: count }, (_, i) => ({ id: randomUUID(), email: `filler-${i}@bench.invalid` }));
}
