/** The page's one door to the API: same-origin fetch, the session cookie, the CSRF token, one error type. */

export interface FieldError {
  field: string;
  reason: string;
}

/** A refusal of the API, with what the page needs to explain it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldError[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

/** Set once the session is known; sent as X-CSRF-Token with every change. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when the API answers 401: the session ended (signed out elsewhere, expired, revoked). */
export function onSessionEnded(callback: () => void): void {
  onSignedOut = callback;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The service could not be reached. Check your connection and try again.');
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: { code?: string; message?: string; details?: FieldError[] } = {};
  try {
    body = await response.json();
  } catch {
    // Not the API's error shape (a proxy's page, say): the status alone says what happened.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  const error = new ApiError(
    response.status,
    body.code ?? 'error',
    body.message ?? `The request failed (${response.status})`,
    Array.isArray(body.details) ? body.details : [],
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
  if (response.status === 401 && error.code !== 'invalid_credentials') onSignedOut();
  return error;
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A streamed download (audit exports), reporting progress as lines arrive. */
export async function download(path: string, onLines: (lines: number) => void): Promise<Blob> {
  const response = await send('GET', path);
  const reader = response.body?.getReader();
  if (!reader) return response.blob();
  const chunks: BlobPart[] = [];
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    for (const byte of value) if (byte === 10) lines++;
    onLines(lines);
  }
  return new Blob(chunks, { type: response.headers.get('content-type') ?? 'application/octet-stream' });
}

export type TokenStatus = 'active' | 'suspended' | 'expired' | 'revoked';

export interface Token {
  id: string;
  userId: string;
  name: string;
  description: string | null;
  scopes: string[];
  status: TokenStatus;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  lastUsedUserAgent: string | null;
  revokedAt: string | null;
  rotatedAt: string | null;
  allowedIps: string[] | null;
  suspendedAt: string | null;
  suspendedBy: string | null;
  /** Only where one token is read (GET of its id). */
  recentAddresses?: TokenAddress[];
}

export interface TokenAddress {
  ip: string;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface CreatedToken extends Token {
  token: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface ScopeEntry {
  scope: string;
  description: string;
  resourceTitle: string;
  resourceDescription: string;
  perEntity: boolean;
  grantable: boolean;
}

export interface Policy {
  defaultLifetimeDays: number;
  maxLifetimeDays: number;
  allowNoExpiry: boolean;
  rotationIntervalSeconds: number;
}

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: string;
  privileges: string[];
  roleScopes: string[];
}

export interface Session {
  user: SessionUser;
  csrfToken: string;
  policy: Policy;
  /** Whether token events reach their owners through a webhook. */
  ownersNotified: boolean;
  /** Whether CI token exchange is served (its trust policies are managed on the page). */
  tokenExchange: boolean;
}

export interface AuditEvent {
  id: string;
  /** `rollup`: `count` requests of one kind in one minute, from `occurredAt` to `lastOccurredAt`. */
  kind: 'event' | 'rollup';
  count: number;
  occurredAt: string;
  lastOccurredAt: string;
  actorUserId: string | null;
  actorEmail: string | null;
  tokenId: string | null;
  tokenName: string | null;
  authMethod: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'denied' | 'error';
  statusCode: number | null;
  ip: string | null;
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: string;
  active: boolean;
}

/** Query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
