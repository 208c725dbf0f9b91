import type { TestApp } from './test-app';

/** The one error body of the API: `{statusCode, error, code, message, requestId}` (+ `details`). */
export function isErrorShape(body: unknown, status: number): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { statusCode, error, code, message, requestId, details, ...rest } = body as Record<string, unknown>;
  return (
    statusCode === status &&
    typeof error === 'string' &&
    typeof code === 'string' &&
    /^[a-z][a-z0-9_]*$/.test(code) &&
    typeof message === 'string' &&
    typeof requestId === 'string' &&
    requestId.length > 0 &&
    (details === undefined || Array.isArray(details)) &&
    Object.keys(rest).length === 0
  );
}

export function expectErrorShape(response: { status: number; body: unknown }, status?: number): void {
  if (status !== undefined) expect(response.status).toBe(status);
  expect(isErrorShape(response.body, response.status)).toBe(true);
}

/** A refusal with this status and this error code, in the one error shape. */
export function expectRefusal(response: { status: number; body: any }, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expectErrorShape(response, status);
}

const TRANSACTION_CONTROL =
  /"query":"(START TRANSACTION|BEGIN|BEGIN TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b/i;

/**
 * SQL statements the app has logged so far (TestApp logs every query with `"context":"SQL"`),
 * without the audit writer's: its timer flushes buffered events every second in its own
 * transaction, whenever it likes, so counting those would race it. What is left is what requests
 * asked of the database.
 */
export function sqlQueriesLogged(t: TestApp): string[] {
  return t.logs.filter(
    (line) =>
      line.includes('"context":"SQL"') && line.includes('"query"') && !line.includes('audit_events') && !TRANSACTION_CONTROL.test(line),
  );
}
