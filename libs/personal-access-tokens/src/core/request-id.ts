import { randomUUID } from 'node:crypto';

const REQUEST_ID = Symbol('requestId');

interface RequestLike {
  id?: unknown;
  [REQUEST_ID]?: string;
}

/**
 * The id that ties a request's log lines, audit event and error body together. Fastify assigns
 * `request.id` (the app sets it from a safe `X-Request-Id` or a UUID); on other adapters one is
 * made on first use and kept on the request.
 */
export function requestIdOf(request: object): string {
  const req = request as RequestLike;
  if (typeof req.id === 'string' && req.id) return req.id;
  return (req[REQUEST_ID] ??= randomUUID());
}
