/** RFC 6750 b64token, plus a length cap so that nothing oversize is ever hashed or looked up. */
const CREDENTIAL = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MAX_CREDENTIAL_LENGTH = 256;
const SCHEMES = new Set(['bearer', 'apikey']);

export type CredentialReading = { kind: 'token'; token: string } | { kind: 'missing' } | { kind: 'invalid'; description: string };

interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
  /** Fastify's underlying Node request: its rawHeaders still hold duplicates that Node dropped. */
  raw?: { rawHeaders?: string[] };
  /** Express's request is the Node request itself. */
  rawHeaders?: string[];
}

/** Node keeps only the first of several Authorization headers; a proxy in front may keep the last. */
function authorizationHeaderCount(request: RequestLike): number {
  const raw = request.raw?.rawHeaders ?? request.rawHeaders ?? [];
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'authorization') count++;
  return count;
}

function hasAccessTokenField(source: unknown): boolean {
  return typeof source === 'object' && source !== null && 'access_token' in source;
}

/**
 * Reads the credential of a request: `Authorization: Bearer <token>` or `ApiKey <token>`.
 * Tokens in the query string or body are refused (they end up in logs and browser history), as
 * are a scheme without a token, two tokens, or characters outside b64token. Another scheme
 * (Basic, say) counts as no credential.
 */
export function readCredential(request: RequestLike): CredentialReading {
  if (hasAccessTokenField(request.query) || hasAccessTokenField(request.body)) {
    return { kind: 'invalid', description: 'Send the token in the Authorization header, never in the query string or body' };
  }
  const header = request.headers.authorization;
  if (header === undefined || header === '') return { kind: 'missing' };
  if (typeof header !== 'string' || authorizationHeaderCount(request) > 1)
    return { kind: 'invalid', description: 'Send exactly one Authorization header' };
  if (header.length > MAX_CREDENTIAL_LENGTH + 10) return { kind: 'invalid', description: 'The Authorization header is too long' };
  const [scheme, ...rest] = header.trim().split(/ +/);
  if (!SCHEMES.has(scheme.toLowerCase())) return { kind: 'missing' };
  if (rest.length !== 1) {
    return { kind: 'invalid', description: rest.length === 0 ? 'The Authorization header has no token' : 'Send exactly one token' };
  }
  const token = rest[0];
  if (token.length > MAX_CREDENTIAL_LENGTH || !CREDENTIAL.test(token)) {
    return { kind: 'invalid', description: 'The token contains characters that are not allowed' };
  }
  return { kind: 'token', token };
}
