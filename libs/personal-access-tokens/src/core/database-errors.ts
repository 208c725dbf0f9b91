/** Whether a driver error is a unique-key violation (MySQL/MariaDB or SQLite). */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string; errno?: number } } | null)?.driverError ?? error;
  const { code, errno } = (driverError ?? {}) as { code?: string; errno?: number };
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'SQLITE_BUSY',
]);

/**
 * Whether an error means the database cannot answer right now (down, restarting, connections
 * exhausted): the request should be retried later (503), not reported as a bug (500) nor as a
 * bad credential (401).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string' && UNAVAILABLE_CODES.has(current.code)) return true;
    if (typeof current.message === 'string' && /Queue limit reached|Pool is closed|connection is in closed state|Can't add new command when connection is in closed state|WSREP has not yet prepared node/i.test(current.message)) return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}

const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST']);

/**
 * Whether a query failed because its pooled connection had been closed under it: by the server
 * (its `wait_timeout` passed while the connection sat idle, or it restarted) or by the network.
 * mysql2 drops such a connection from its pool, so the next query gets a fresh one. Whether a
 * write took effect is unknown: rerun only what is safe to run twice, such as a read.
 *
 * @example
 * const count = await users.count().catch((error) => (isConnectionLost(error) ? users.count() : Promise.reject(error)));
 */
export function isConnectionLost(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string' && CONNECTION_LOST_CODES.has(current.code)) return true;
    if (typeof current.message === 'string' && /connection is in closed state/i.test(current.message)) return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}

/**
 * Error numbers of a transaction the server rolled back so that it can be run again: MySQL and
 * MariaDB (1213, 1205) and TiDB's optimistic transactions (9007 write conflict, 8002 a locking read
 * that conflicted).
 */
const CONFLICT_ERRNOS = new Set([1213, 1205, 9007, 8002]);

/**
 * Whether a transaction was aborted by a conflict and may simply be run again: a deadlock
 * (ER_LOCK_DEADLOCK 1213), a lock wait timeout (1205), or a Galera certification failure or
 * brute-force abort (reported as 1213, "WSREP detected deadlock/conflict"). A lost connection is
 * not one of them: whether its COMMIT took effect is unknown.
 */
export function isRetryableConflict(error: unknown): boolean {
  for (let current = error as { code?: unknown; errno?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; depth++) {
    if (current.code === 'ER_LOCK_DEADLOCK' || current.code === 'ER_LOCK_WAIT_TIMEOUT') return true;
    if (typeof current.errno === 'number' && CONFLICT_ERRNOS.has(current.errno)) return true;
    if (typeof current.message === 'string' && /WSREP detected deadlock\/conflict/i.test(current.message)) return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}

/** Whether the conflict was a lock wait that timed out (1205): rerun once, not ten times, after so long a wait. */
export function isLockWaitTimeout(error: unknown): boolean {
  for (let current = error as { code?: unknown; errno?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 4; depth++) {
    if (current.code === 'ER_LOCK_WAIT_TIMEOUT' || current.errno === 1205) return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}
