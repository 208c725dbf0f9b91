import { DataSourceOptions } from 'typeorm';
import { PERSONAL_ACCESS_TOKENS_ENTITIES } from '../../libs/personal-access-tokens/src';
import { MIGRATIONS } from '../../migrations';
import { DatabaseConfig } from '../config/app-config';
import { SqlLogger } from '../logging/sql-logger';

/**
 * The one description of the database, shared by the app (`TypeOrmModule`) and the TypeORM CLI
 * (`npm run migration:run`). `synchronize` is never on: the schema comes from migrations.
 */
export function buildDataSourceOptions(database: DatabaseConfig, options: { logSql?: boolean } = {}): DataSourceOptions {
  const common = {
    ...(options.logSql && { logging: true, logger: new SqlLogger() }),
    entities: PERSONAL_ACCESS_TOKENS_ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsTransactionMode: 'each' as const,
  };
  if (database.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.file,
      enableWAL: database.file !== ':memory:',
      timeout: 5000,
      // SQLite's default page cache is about 2 MB: with a million tokens the digest index alone is
      // far larger. 64 MB of cache and a memory-mapped file keep lookups flat as the table grows.
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('cache_size = -65536');
        db.pragma('mmap_size = 1073741824');
        // A multi-row INSERT or UPDATE inside a transaction keeps a statement journal: in memory,
        // not in a temporary file written page by page (it halved the audit trail's write cost).
        db.pragma('temp_store = MEMORY');
      },
    };
  }
  return {
    ...common,
    type: database.flavor,
    url: database.url,
    // Dates are UTC in both directions; "now" always comes from the app's clock, never NOW().
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    poolSize: database.poolSize,
    extra: {
      connectionLimit: database.poolSize,
      enableKeepAlive: true,
      keepAliveInitialDelay: 10_000,
      // No idleTimeout: mysql2 applies it only with maxIdle below connectionLimit, so idle
      // connections stay until the server's wait_timeout closes them. The pool drops a closed one
      // once it sees it closed; the admin bootstrap reruns its count if it meets one before that.
      // When every connection is busy, wait in a bounded queue; past it, answer 503 rather than pile up.
      queueLimit: database.poolSize * 50,
      connectTimeout: 5_000,
    },
  };
}
