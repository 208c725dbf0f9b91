import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isLockWaitTimeout, isRetryableConflict } from './database-errors';

const driverError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'driver error')), fields);
const failed = (fields: Record<string, unknown>) => new QueryFailedError('COMMIT', [], driverError(fields));

describe('database errors', () => {
  it('reruns deadlocks, Galera certification failures and lock wait timeouts, as TypeORM wraps them', () => {
    expect(isRetryableConflict(failed({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }))).toBe(true);
    expect(
      isRetryableConflict(
        failed({ errno: 1213, message: 'WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction' }),
      ),
    ).toBe(true);
    expect(isRetryableConflict(failed({ message: 'WSREP detected deadlock/conflict and aborted the transaction' }))).toBe(true);
    expect(isRetryableConflict(failed({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }))).toBe(true);
    expect(isLockWaitTimeout(failed({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }))).toBe(true);
    expect(isLockWaitTimeout(failed({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }))).toBe(false);
  });

  it('does not rerun a lost connection (its commit may have happened), a duplicate key or a plain bug', () => {
    expect(isRetryableConflict(failed({ code: 'PROTOCOL_CONNECTION_LOST' }))).toBe(false);
    expect(isRetryableConflict(failed({ code: 'ER_DUP_ENTRY', errno: 1062 }))).toBe(false);
    expect(isRetryableConflict(new TypeError('x is undefined'))).toBe(false);
  });

  it('answers 503 for a conflict that outlasted its reruns and for a node that is not ready', () => {
    expect(isDatabaseUnavailable(failed({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }))).toBe(true);
    expect(
      isDatabaseUnavailable(
        failed({ code: 'ER_UNKNOWN_COM_ERROR', errno: 1047, message: 'WSREP has not yet prepared node for application use' }),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
  });
});
