/** A product resource and the actions on it that tokens may be granted (`productScopes`). */
export interface ScopeResourceDefinition {
  resource: string;
  description?: string;
  actions: string[];
  /**
   * Marks the resource's scopes sensitive: `true` for every action, or the sensitive actions. With
   * `policy.requireAllowListForSensitiveScopes`, tokens holding them need an IP allow-list.
   */
  sensitive?: boolean | string[];
}

/** Rules every token must follow; all configurable. */
export interface TokenPolicy {
  /** Lifetime when a request names none. */
  defaultLifetimeDays: number;
  maxLifetimeDays: number;
  /** Whether `expiresAt: null` (a token that never expires) is allowed. */
  allowNoExpiry: boolean;
  /** Live (active, unexpired) tokens one user may hold. */
  maxActiveTokensPerUser: number;
  /** Minimum time between two rotations of one token. */
  rotationIntervalSeconds: number;
  /**
   * A token holding a scope the catalog marks `sensitive` must have an IP allow-list (default false).
   * Checked whenever a token gets such a scope or loses its allow-list.
   */
  requireAllowListForSensitiveScopes?: boolean;
}

/** The scheduled expiry job (`ExpiryJob`). */
export interface ExpiryJobOptions {
  /** Cron expression of its schedule (default every minute), or `false` to only run it on demand. */
  cron: string | false;
  /**
   * Tokens changed per transaction, together with their audit events and webhook deliveries;
   * `null` (default): 250 on SQLite, 3000 on MySQL/MariaDB (`DEFAULT_EXPIRY_BATCH_SIZE`). On a
   * Galera cluster, keep it at a few thousand: the cluster certifies a transaction's rows as a whole.
   */
  batchSize: number | null;
  /** Revoke active tokens not used (or, never used, created) for this many days; `null` (default) never. */
  revokeUnusedAfterDays: number | null;
}

/** The webhook that receives token events, signed with HMAC-SHA256 (`WebhookDispatcher`). */
export interface WebhookOptions {
  url: string;
  /** HMAC key of the `X-PAT-Signature` header. */
  secret: string;
  /** Attempts per event before it is given up (default 8), with exponential backoff between them. */
  maxAttempts?: number;
  /** Delay before the first retry (default 10 s); doubled after each failure, at most 1 hour. */
  initialBackoffSeconds?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
}

/** The audit trail (`AuditTrail`). */
export interface AuditOptions {
  /** Record requests and system actions (default true; off only for measurements and special cases). */
  enabled: boolean;
  /** Events older than this are purged by the retention job (default 365). */
  retentionDays: number;
  /** Cron expression of the retention job (default hourly), or `false` to only run it on demand. */
  retentionCron: string | false;
  /**
   * Successful reads: `counted` (default) keeps one roll-up row per user, token, action, outcome,
   * status, address and minute with how many there were; `each` writes one event per read.
   * Changes are one event each either way; repeated refusals of one kind are always rolled up.
   */
  reads: 'each' | 'counted';
  /** What is buffered is written at least this often (default 1000 ms), and at once while a backlog remains. */
  flushIntervalMs: number;
  /** Single events held in memory at most (refusals, `each` reads) before requests wait (default 10000). */
  maxBufferedEvents: number;
  /**
   * Audit every route of the app, the host's included (default false: the library's own routes,
   * and the host's routes marked `@AuditAction`). The standalone service turns it on.
   */
  allRoutes: boolean;
  /** Roll-up keys held in memory at most before requests wait (default 10000). */
  maxCountedKeys: number;
  /**
   * How long a request waits for room in a full buffer before it is answered 503 with Retry-After
   * (default 2000 ms).
   */
  backpressureTimeoutMs: number;
}

export const AUDIT_READ_MODES = ['each', 'counted'] as const;

/**
 * Options of `PersonalAccessTokensModule.forRoot`.
 *
 * @example
 * PersonalAccessTokensModule.forRoot({
 *   peppers: [process.env.TOKEN_PEPPER!],
 *   productScopes: [{ resource: 'reports', actions: ['read', 'create'] }],
 *   policy: { maxLifetimeDays: 180 },
 * })
 */
export interface PersonalAccessTokensModuleOptions {
  /** HMAC keys for token digests, current first; older ones keep their tokens working. */
  peppers: string[];
  /** Prefix of PAT secrets (default `pat_`). */
  tokenPrefix?: string;
  /** Prefix of login session secrets (default `pats_`). */
  sessionTokenPrefix?: string;
  /** Realm in `WWW-Authenticate` challenges. */
  realm?: string;
  /** The host product's own resources and actions, added to the scope catalog. */
  productScopes?: ScopeResourceDefinition[];
  policy?: Partial<TokenPolicy>;
  /** Login session lifetime (default 12 hours). */
  sessionTtlSeconds?: number;
  /** `lastUsedAt` is written at most this often per token (default 60 s). */
  lastUsedWriteIntervalSeconds?: number;
  /**
   * How long a verified PAT may be served from memory (default 0: off). Changes made through this
   * instance apply at once anyway; this bounds how late other instances (and user stores outside
   * the library) are seen.
   */
  verificationCacheTtlSeconds?: number;
  /** Failed authentications allowed per client IP per window before 429 (default 50 per 5 minutes). */
  failedAuthLimit?: { limit: number; windowSeconds: number };
  expiry?: Partial<ExpiryJobOptions>;
  /** Where token events are delivered; unset means no webhook. */
  webhook?: WebhookOptions | null;
  /** Introspection calls per caller per window (default 600 per minute). */
  introspectionRateLimit?: { limit: number; windowSeconds: number };
  /** Leaked-credential revocation calls per client IP per window (default 10 per minute). */
  credentialRevocationRateLimit?: { limit: number; windowSeconds: number };
  audit?: Partial<AuditOptions>;
  /**
   * Fail closed on every route of the app, the host's included: a valid PAT or session is needed
   * unless `@Public()` (default false: only the library's own routes and routes that declare
   * `@RequireScopes`/`@RequirePrivileges` are checked). The standalone service turns it on.
   */
  protectAllRoutes?: boolean;
  /**
   * With `protectAllRoutes`, what happens to a bearer credential that is not one of this library's
   * (not its prefix and checksum) on a route that declares no scopes: `pass` (default) hands the
   * request untouched to the host's own guards, never counted as a failed authentication;
   * `refuse` answers 401 `invalid_token`, for an app whose only credentials are this library's.
   */
  otherBearerCredentials?: 'pass' | 'refuse';
}

export type ResolvedOptions = Required<Omit<PersonalAccessTokensModuleOptions, 'policy' | 'expiry' | 'webhook' | 'audit'>> & {
  policy: TokenPolicy;
  audit: AuditOptions;
  expiry: ExpiryJobOptions;
  webhook: Required<WebhookOptions> | null;
};

export const PAT_OPTIONS = Symbol('PersonalAccessTokensResolvedOptions');

export const DEFAULT_POLICY: TokenPolicy = {
  defaultLifetimeDays: 90,
  maxLifetimeDays: 365,
  allowNoExpiry: false,
  maxActiveTokensPerUser: 100,
  rotationIntervalSeconds: 3600,
  requireAllowListForSensitiveScopes: false,
};

export function resolveOptions(options: PersonalAccessTokensModuleOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    peppers: options.peppers,
    tokenPrefix: options.tokenPrefix ?? 'pat_',
    sessionTokenPrefix: options.sessionTokenPrefix ?? 'pats_',
    realm: options.realm ?? 'personal-access-tokens',
    productScopes: options.productScopes ?? [],
    policy: { ...DEFAULT_POLICY, ...options.policy },
    sessionTtlSeconds: options.sessionTtlSeconds ?? 12 * 3600,
    lastUsedWriteIntervalSeconds: options.lastUsedWriteIntervalSeconds ?? 60,
    verificationCacheTtlSeconds: options.verificationCacheTtlSeconds ?? 0,
    failedAuthLimit: options.failedAuthLimit ?? { limit: 50, windowSeconds: 300 },
    expiry: { cron: '* * * * *', batchSize: null, revokeUnusedAfterDays: null, ...options.expiry },
    webhook: options.webhook ? { maxAttempts: 8, initialBackoffSeconds: 10, timeoutMs: 10_000, ...options.webhook } : null,
    introspectionRateLimit: options.introspectionRateLimit ?? { limit: 600, windowSeconds: 60 },
    credentialRevocationRateLimit: options.credentialRevocationRateLimit ?? { limit: 10, windowSeconds: 60 },
    audit: {
      enabled: true,
      retentionDays: 365,
      retentionCron: '0 * * * *',
      reads: 'counted',
      flushIntervalMs: 1000,
      maxBufferedEvents: 10_000,
      maxCountedKeys: 10_000,
      backpressureTimeoutMs: 2000,
      allRoutes: false,
      ...options.audit,
    },
    protectAllRoutes: options.protectAllRoutes ?? false,
    otherBearerCredentials: options.otherBearerCredentials ?? 'pass',
  };
  if (!AUDIT_READ_MODES.includes(resolved.audit.reads)) throw new Error(`audit.reads must be one of ${AUDIT_READ_MODES.join(', ')}`);
  for (const name of ['flushIntervalMs', 'maxBufferedEvents', 'maxCountedKeys', 'backpressureTimeoutMs'] as const) {
    const value = resolved.audit[name];
    if (!Number.isInteger(value) || value < 1) throw new Error(`audit.${name} must be a positive integer`);
  }
  const prefixes = [resolved.tokenPrefix, resolved.sessionTokenPrefix];
  if (prefixes.some((p) => !/^[a-z][a-z0-9]{0,15}_$/.test(p))) {
    throw new Error('Token prefixes must be lowercase letters and digits ending in "_", such as "pat_"');
  }
  if (resolved.sessionTokenPrefix.startsWith(resolved.tokenPrefix) || resolved.tokenPrefix.startsWith(resolved.sessionTokenPrefix)) {
    throw new Error('The session token prefix must not start with the PAT prefix (or the reverse)');
  }
  return resolved;
}
