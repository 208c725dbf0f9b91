/**
 * Options of `TokenExchangeModule.forRoot`: RFC 8693 token exchange of CI identity tokens
 * (GitHub Actions, GitLab CI) for short-lived PATs under admin-managed trust policies.
 *
 * @example
 * TokenExchangeModule.forRoot({ clockSkewSeconds: 30, rateLimit: { limit: 60, windowSeconds: 60 } })
 */
export interface TokenExchangeOptions {
  /** Leeway for `exp`, `nbf` and `iat` (default 30 s). */
  clockSkewSeconds?: number;
  /** After a JWKS fetch, an unknown `kid` triggers no new fetch for this long (default 30 s). */
  jwksCooldownSeconds?: number;
  /** A fetched JWKS (and the issuer's discovery document) is reused this long (default 10 minutes). */
  jwksCacheSeconds?: number;
  /** Exchanges per client IP per window, successful or not (default 60 per minute). */
  rateLimit?: { limit: number; windowSeconds: number };
  /** Accept `http://` issuers on loopback addresses only (tests, local providers); default false. */
  allowLoopbackHttpIssuers?: boolean;
}

export interface ResolvedTokenExchangeOptions {
  clockSkewSeconds: number;
  jwksCooldownSeconds: number;
  jwksCacheSeconds: number;
  rateLimit: { limit: number; windowSeconds: number };
  allowLoopbackHttpIssuers: boolean;
}

export const TOKEN_EXCHANGE_OPTIONS = Symbol('TokenExchangeOptions');

/** A minted PAT lives 15 minutes unless its policy says otherwise, and never more than an hour. */
export const DEFAULT_EXCHANGED_TOKEN_SECONDS = 15 * 60;
export const MAX_EXCHANGED_TOKEN_SECONDS = 60 * 60;

export function resolveTokenExchangeOptions(options: TokenExchangeOptions): ResolvedTokenExchangeOptions {
  const resolved: ResolvedTokenExchangeOptions = {
    clockSkewSeconds: options.clockSkewSeconds ?? 30,
    jwksCooldownSeconds: options.jwksCooldownSeconds ?? 30,
    jwksCacheSeconds: options.jwksCacheSeconds ?? 600,
    rateLimit: options.rateLimit ?? { limit: 60, windowSeconds: 60 },
    allowLoopbackHttpIssuers: options.allowLoopbackHttpIssuers ?? false,
  };
  if (!(resolved.clockSkewSeconds >= 0 && resolved.clockSkewSeconds <= 300)) throw new Error('clockSkewSeconds must be 0 to 300');
  if (!(resolved.jwksCooldownSeconds >= 0) || !(resolved.jwksCacheSeconds > 0)) throw new Error('JWKS cache durations must be positive');
  return resolved;
}
