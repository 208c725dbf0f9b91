import { EntityManager, EntityTarget, ObjectLiteral, QueryFailedError } from 'typeorm';

/**
 * Turns a row of a plain SQL query (columns under their database names) into an entity, with the
 * driver's own conversions (SQLite's date strings, MySQL's tinyint booleans). For the hot paths,
 * where TypeORM's query builder and hydration cost more CPU than the query itself.
 */
export function hydrate<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, row: Record<string, unknown>): T {
  const { driver } = manager.connection;
  const entity: Record<string, unknown> = {};
  for (const column of manager.connection.getMetadata(target).columns) {
    const value = row[column.databaseName];
    entity[column.propertyName] = value === null || value === undefined ? null : driver.prepareHydratedValue(value, column);
  }
  return entity as T;
}

/** The escaped table name of an entity, for plain SQL. */
export function tableOf(manager: EntityManager, target: EntityTarget<ObjectLiteral>): string {
  return manager.connection.driver.escape(manager.connection.getMetadata(target).tableName);
}

interface CallbackPool {
  query(sql: string, values: unknown[], callback: (error: Error | null, rows: unknown) => void): void;
}

const galera = new WeakMap<object, Promise<boolean>>();

/**
 * Whether the MySQL-family server is a Galera node (asked once per data source; false elsewhere).
 * The unit of work asks at start-up, so that no request waits for the answer.
 */
export function onGalera(manager: EntityManager): Promise<boolean> {
  const { connection } = manager;
  if (connection.options.type === 'better-sqlite3') return Promise.resolve(false);
  let known = galera.get(connection);
  if (!known) {
    known = connection
      .query('SELECT @@wsrep_on AS wsrep')
      .then((rows: Array<{ wsrep: unknown }>) => Number(rows[0]?.wsrep) === 1)
      .catch((error: { driverError?: { errno?: number } }) => {
        // MySQL has no such variable (ER_UNKNOWN_SYSTEM_VARIABLE): not Galera. Anything else: ask again later.
        if (error.driverError?.errno !== 1193) galera.delete(connection);
        return false;
      });
    galera.set(connection, known);
  }
  return known;
}

/**
 * A read outside any transaction, for the per-request hot paths. On MySQL it goes straight to
 * mysql2's callback pool: TypeORM's query runner uses mysql2's promise wrapper, which captures a
 * stack trace on every query (8% of a PAT request's CPU in the benchmark profile). Logged like
 * any other query. `causal` (verification): on a Galera cluster, a change acknowledged by any node
 * is seen (a revocation bites at once on every node, not after the node's apply lag).
 */
export async function readRows(
  manager: EntityManager,
  sql: string,
  values: unknown[],
  options: { causal?: boolean } = {},
): Promise<Array<Record<string, unknown>>> {
  const { driver, logger } = manager.connection;
  // A Galera node applies other nodes' commits shortly after they are acknowledged; a causal read
  // first waits until this node has applied every commit the cluster had acknowledged.
  if (options.causal && (await onGalera(manager))) sql = `SET STATEMENT wsrep_sync_wait = 1 FOR ${sql}`;
  const pool = (driver as unknown as { pool?: CallbackPool }).pool;
  if (manager.queryRunner || !pool || typeof pool.query !== 'function') return manager.query(sql, values);
  logger.logQuery(sql, values);
  return new Promise((resolve, reject) =>
    pool.query(sql, values, (error, rows) =>
      error ? reject(new QueryFailedError(sql, values, error)) : resolve(rows as Array<Record<string, unknown>>),
    ),
  );
}

/** Bound parameters per statement: well under SQLite's limit (32766); MySQL's are formatted client-side. */
const PARAMETERS_PER_INSERT = 16_000;

/**
 * Inserts entities as plain multi-row INSERTs with the caller's manager (inside its transaction):
 * TypeORM's insert builder costs more CPU than the database does for a batch of a few thousand
 * rows. Values go through the driver's own conversion, as with the builder. Every column is
 * written, so each entity must carry them all. `suffix` ends each statement (an upsert clause).
 */
export async function insertRows<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: readonly T[],
  options: { rowsPerStatement?: number; suffix?: string } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const { driver } = manager.connection;
  const { columns, tableName } = manager.connection.getMetadata(target);
  const most = Math.max(1, Math.floor(PARAMETERS_PER_INSERT / columns.length));
  const perStatement = Math.min(most, options.rowsPerStatement ?? most);
  const prefix = `INSERT INTO ${driver.escape(tableName)} (${columns.map((column) => driver.escape(column.databaseName)).join(', ')}) VALUES `;
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  let statement = '';
  let statementRows = 0;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    // The statement text is the same for every full chunk: SQLite's statement cache reuses it.
    if (chunk.length !== statementRows) {
      statement = prefix + Array(chunk.length).fill(placeholders).join(', ') + (options.suffix ?? '');
      statementRows = chunk.length;
    }
    const values = new Array<unknown>(chunk.length * columns.length);
    let v = 0;
    for (const row of chunk) {
      for (const column of columns) values[v++] = driver.preparePersistentValue(column.getEntityValue(row), column) ?? null;
    }
    await manager.query(statement, values);
  }
}
