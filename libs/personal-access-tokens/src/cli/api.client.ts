import createClient, { type Client } from 'openapi-fetch';
import { CliError, ExitCode, exitCodeForStatus, type ErrorDetail } from './cli.errors';
import type { components, paths } from './openapi.types';

/** The service's API, typed by the OpenAPI document it serves at /docs-json (see openapi.types.ts). */
export type Api = Client<paths, 'application/json'>;
type Schemas = components['schemas'];
export type Token = Schemas['TokenResponseDto'];
export type CreatedToken = Schemas['CreatedTokenResponseDto'];
export type TokenPage = Schemas['TokenPageDto'];
export type TokenScopes = Schemas['TokenScopesDto'];
export type AuditEvent = Schemas['AuditEventDto'];
export type AuditEventPage = Schemas['AuditEventPageDto'];
export type Me = Schemas['MeResponseDto'];

/** How long a request may wait for the answer's headers; the body of an export may take longer. */
const HEADERS_TIMEOUT_MS = 30_000;

/** A client that sends `token` as a bearer credential to the service at `host`. */
export function createApi(host: string, token: string, userAgent: string): Api {
  return createClient<paths, 'application/json'>({
    baseUrl: host,
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': userAgent },
    fetch: fetchWithTimeout,
  });
}

async function fetchWithTimeout(request: Request): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${HEADERS_TIMEOUT_MS / 1000} s`)), HEADERS_TIMEOUT_MS);
  try {
    return await fetch(request, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

interface ApiResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The answer's body, or a CliError in the API's own words (its `code`, `message` and `details`). */
export async function send<D>(host: string, request: Promise<ApiResult<D>>): Promise<{ data: D; status: number }> {
  const result = await settle(host, request);
  if (result.data === undefined) throw new CliError(`${host} answered ${result.response.status} with no body`, ExitCode.Unavailable);
  return { data: result.data, status: result.response.status };
}

/** For requests answered with 204 No Content. */
export async function sendNoContent(host: string, request: Promise<ApiResult<unknown>>): Promise<void> {
  await settle(host, request);
}

async function settle<D>(host: string, request: Promise<ApiResult<D>>): Promise<ApiResult<D>> {
  let result: ApiResult<D>;
  try {
    result = await request;
  } catch (error) {
    throw unreachable(host, error);
  }
  if (!result.response.ok) throw refusal(host, result.response, result.error);
  return result;
}

/** A failed answer as a CliError: the exit code by status, the words from the error body. */
export function refusal(host: string, response: Response, body: unknown): CliError {
  const exitCode = exitCodeForStatus(response.status);
  const retryAfter = response.headers.get('retry-after');
  const hint =
    response.status === 401
      ? 'Log in again with `pat auth login --with-token`, or set PAT_TOKEN.'
      : retryAfter && /^\d+$/.test(retryAfter)
        ? `Try again in ${retryAfter} s.`
        : undefined;
  const facts = { statusCode: response.status, ...(hint && { hint }) };
  if (!isErrorBody(body)) {
    return new CliError(`${host} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, exitCode, facts);
  }
  return new CliError(body.message, exitCode, {
    ...facts,
    code: body.code,
    ...(typeof body.requestId === 'string' && { requestId: body.requestId }),
    ...(Array.isArray(body.details) && { details: body.details.filter(isDetail) }),
  });
}

/** A request that got no answer at all (refused connection, unknown host, timeout, not JSON). */
export function unreachable(host: string, error: unknown): CliError {
  if (error instanceof SyntaxError) {
    return new CliError(`${host} answered with something that is not JSON: is it the personal access token service?`, ExitCode.Unavailable);
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new CliError(`Cannot reach ${host}: ${reason}`, ExitCode.Unavailable, {
    hint: 'Check the address (--host or PAT_HOST) and that the service is running.',
  });
}

function isErrorBody(body: unknown): body is { code: string; message: string; requestId?: unknown; details?: unknown } {
  return typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string' && 'message' in body && typeof body.message === 'string';
}

function isDetail(detail: unknown): detail is ErrorDetail {
  return (
    typeof detail === 'object' &&
    detail !== null &&
    'field' in detail &&
    typeof detail.field === 'string' &&
    'reason' in detail &&
    typeof detail.reason === 'string'
  );
}
