import { ScopeResourceDefinition, TokenPolicy } from '../../libs/personal-access-tokens/src';
import type { OidcSignInOptions, TokenExchangeOptions } from '../../libs/personal-access-tokens/src/dto';

export type DatabaseConfig =
  | { type: 'sqlite'; file: string }
  /** `flavor` follows the URL scheme (mysql:// or mariadb://): TypeORM reads schemas differently. */
  | { type: 'mysql'; flavor: 'mysql' | 'mariadb'; url: string; poolSize: number };

/** Everything the service reads from its environment, validated once at start-up. */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** Current pepper first, then older ones still accepted. */
  peppers: string[];
  tokenPrefix: string;
  realm: string;
  sessionTtlSeconds: number;
  admin: { email: string; password?: string };
  /** The token policy; the rules added later (rotation overlaps, approvals, notices) are optional, with the library's defaults. */
  policy: Pick<
    TokenPolicy,
    'defaultLifetimeDays' | 'maxLifetimeDays' | 'allowNoExpiry' | 'maxActiveTokensPerUser' | 'rotationIntervalSeconds'
  > &
    Partial<TokenPolicy>;
  productScopes: ScopeResourceDefinition[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Every SQL query in the log at debug level. */
  logSql: boolean;
  /** Fastify's trustProxy: false, true, or a list of addresses/CIDRs whose X-Forwarded-For is believed. */
  trustProxy: boolean | string[];
  loginRateLimit: { perIp: number; failuresPerEmail: number; windowSeconds: number };
  /** How late another instance may see a token or user change (0: every request asks the database). */
  verificationCacheTtlSeconds: number;
  /** Failed token authentications per client IP per window, then 429. */
  failedAuthLimit: { limit: number; windowSeconds: number };
  bodyLimitBytes: number;
  /** The expiry job: cron schedule in UTC (false: not scheduled), batch size, unused-token policy. */
  expiryJob: { cron: string | false; batchSize: number | null; revokeUnusedAfterDays: number | null; noticeLeadDays?: number[] };
  /** Token events are POSTed here, signed with the secret; null: no webhook. */
  webhook: { url: string; secret: string; maxAttempts: number } | null;
  introspectionRateLimit: { limit: number; windowSeconds: number };
  credentialRevocationRateLimit: { limit: number; windowSeconds: number };
  /**
   * Audit events are kept this many days, then purged by a job on this cron schedule (UTC; false:
   * not scheduled). `reads`: successful reads counted into one roll-up row per key and minute
   * (`counted`) or one event each (`each`); the buffer's bounds (single events, roll-up keys) and
   * how long a request waits for room in a full buffer before a 503.
   */
  audit: {
    enabled: boolean;
    retentionDays: number;
    retentionCron: string | false;
    reads: 'each' | 'counted';
    maxBufferedEvents: number;
    maxCountedKeys: number;
    backpressureTimeoutMs: number;
  };
  /** The self-service page: where it is mounted (and, in tests, where its build is); absent or null: not served. */
  page?: { path: string; assetsDir?: string } | null;
  /** Sign-in through an OpenID Connect provider (OIDC_*); absent or null: passwords only. */
  oidc?: OidcSignInOptions | null;
  /** RFC 8693 token exchange at POST /oauth/token (TOKEN_EXCHANGE_*); absent or null: off. */
  tokenExchange?: TokenExchangeOptions | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}
