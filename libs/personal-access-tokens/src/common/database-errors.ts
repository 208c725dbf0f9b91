/** Whether a driver error is a unique-key violation (MySQL/MariaDB or SQLite). */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string; errno?: number } } | null)?.driverError ?? error;
  const { code, errno } = (driverError ?? {}) as { code?: string; errno?: number };
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
