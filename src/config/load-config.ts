import { DEFAULT_POLICY, ScopeResourceDefinition } from '../../libs/personal-access-tokens/src';
import { validateCronExpression } from 'cron';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { AppConfig, ConfigError, DatabaseConfig } from './app-config';

type Env = Record<string, string | undefined>;

/** Reads the environment into an AppConfig, reporting every problem at once. */
export function loadAppConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const dataDir = resolve(read.string('DATA_DIR', './data'));
  const database = readDatabase(read, dataDir);
  const config: AppConfig = {
    port: read.int('PORT', 3000, 0, 65535),
    host: read.string('HOST', '0.0.0.0'),
    dataDir,
    database,
    peppers: [],
    tokenPrefix: read.string('TOKEN_PREFIX', 'pat_'),
    realm: read.string('AUTH_REALM', 'personal-access-tokens'),
    sessionTtlSeconds: read.int('SESSION_TTL_HOURS', 12, 1, 24 * 30) * 3600,
    admin: { email: read.string('ADMIN_EMAIL', 'admin@example.com').toLowerCase(), password: env.ADMIN_PASSWORD || undefined },
    policy: {
      defaultLifetimeDays: read.int('PAT_DEFAULT_LIFETIME_DAYS', DEFAULT_POLICY.defaultLifetimeDays, 1, 3650),
      maxLifetimeDays: read.int('PAT_MAX_LIFETIME_DAYS', DEFAULT_POLICY.maxLifetimeDays, 1, 3650),
      allowNoExpiry: read.bool('PAT_ALLOW_NO_EXPIRY', DEFAULT_POLICY.allowNoExpiry),
      maxActiveTokensPerUser: read.int('PAT_MAX_PER_USER', DEFAULT_POLICY.maxActiveTokensPerUser, 1, 100_000),
      rotationIntervalSeconds: read.int('PAT_ROTATION_INTERVAL_SECONDS', DEFAULT_POLICY.rotationIntervalSeconds, 0, 30 * 86400),
      requireAllowListForSensitiveScopes: read.bool(
        'PAT_REQUIRE_ALLOW_LIST_FOR_SENSITIVE_SCOPES',
        DEFAULT_POLICY.requireAllowListForSensitiveScopes ?? false,
      ),
    },
    productScopes: readScopesFile(env.SCOPES_FILE, problems),
    logLevel: read.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const),
    logSql: read.bool('LOG_SQL', false),
    trustProxy: readTrustProxy(env.TRUST_PROXY, problems),
    loginRateLimit: {
      perIp: read.int('LOGIN_RATE_LIMIT_PER_IP', 30, 1, 100_000),
      failuresPerEmail: read.int('LOGIN_RATE_LIMIT_FAILURES_PER_EMAIL', 10, 1, 100_000),
      windowSeconds: read.int('LOGIN_RATE_LIMIT_WINDOW_SECONDS', 900, 1, 86400),
    },
    verificationCacheTtlSeconds: read.int('VERIFICATION_CACHE_TTL_SECONDS', 2, 0, 3600),
    failedAuthLimit: {
      limit: read.int('AUTH_FAILURE_LIMIT', 50, 1, 1_000_000),
      windowSeconds: read.int('AUTH_FAILURE_WINDOW_SECONDS', 300, 1, 86400),
    },
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 128 * 1024, 1024, 10 * 1024 * 1024),
    expiryJob: {
      cron: readCron(read.string('EXPIRY_JOB_CRON', '* * * * *'), problems),
      // Unset: the database's default (`DEFAULT_EXPIRY_BATCH_SIZE`).
      batchSize: read.int('EXPIRY_JOB_BATCH_SIZE', 0, 1, 10_000) || null,
      revokeUnusedAfterDays: read.int('PAT_REVOKE_UNUSED_AFTER_DAYS', 0, 0, 3650) || null,
    },
    webhook: readWebhook(read, problems),
    introspectionRateLimit: { limit: read.int('INTROSPECTION_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000), windowSeconds: 60 },
    credentialRevocationRateLimit: { limit: read.int('CREDENTIAL_REVOKE_RATE_LIMIT_PER_MINUTE', 10, 1, 10_000), windowSeconds: 60 },
    audit: {
      enabled: read.bool('AUDIT_ENABLED', true),
      retentionDays: read.int('AUDIT_RETENTION_DAYS', 365, 1, 36_500),
      retentionCron: readCron(read.string('AUDIT_RETENTION_CRON', '0 * * * *'), problems, 'AUDIT_RETENTION_CRON'),
      reads: read.oneOf('AUDIT_READS', 'counted', ['each', 'counted'] as const),
      maxBufferedEvents: read.int('AUDIT_MAX_BUFFERED_EVENTS', 10_000, 1, 1_000_000),
      maxCountedKeys: read.int('AUDIT_MAX_COUNTED_KEYS', 10_000, 1, 1_000_000),
      backpressureTimeoutMs: read.int('AUDIT_BACKPRESSURE_TIMEOUT_MS', 2000, 1, 60_000),
    },
    page: readPagePath(read.string('PAGE_PATH', '/page'), problems),
    oidc: null,
    tokenExchange: read.bool('TOKEN_EXCHANGE_ENABLED', false)
      ? {
          clockSkewSeconds: read.int('TOKEN_EXCHANGE_CLOCK_SKEW_SECONDS', 30, 0, 300),
          rateLimit: { limit: read.int('TOKEN_EXCHANGE_RATE_LIMIT_PER_MINUTE', 60, 1, 100_000), windowSeconds: 60 },
          allowLoopbackHttpIssuers: read.bool('TOKEN_EXCHANGE_ALLOW_LOOPBACK_HTTP', false),
        }
      : null,
  };
  config.oidc = readOidc(read, config.page?.path ?? '/page', problems);
  if (!/^[a-z][a-z0-9]{0,15}_$/.test(config.tokenPrefix))
    problems.push('TOKEN_PREFIX must be lowercase letters/digits ending in "_", e.g. pat_');
  if (config.admin.password !== undefined && config.admin.password.length < 12)
    problems.push('ADMIN_PASSWORD must be at least 12 characters');
  config.peppers = readPeppers(env, database, dataDir, problems);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** OIDC_ISSUER turns sign-in through the provider on; the rest is then checked together. */
function readOidc(read: EnvReader, pagePath: string, problems: string[]): AppConfig['oidc'] {
  const issuer = read.string('OIDC_ISSUER', '');
  const passwordSignIn = read.bool('PASSWORD_SIGN_IN', true);
  if (!issuer) {
    if (!passwordSignIn) problems.push('PASSWORD_SIGN_IN=false needs another way to sign in: set OIDC_ISSUER');
    return null;
  }
  // A provider and a service on this machine (a trial, a test) may speak plain http on loopback only.
  const allowLoopbackHttp = read.bool('OIDC_ALLOW_LOOPBACK_HTTP', false);
  const url = (name: string, value: string) => {
    if (/^https:\/\/[^\s]+$/.test(value) || (allowLoopbackHttp && isLoopbackHttp(value))) return;
    problems.push(`${name} must be an https URL${allowLoopbackHttp ? ' or http on a loopback address' : ''} (got "${value}")`);
  };
  url('OIDC_ISSUER', issuer);
  const clientId = read.string('OIDC_CLIENT_ID', '');
  if (!clientId) problems.push('OIDC_CLIENT_ID is required with OIDC_ISSUER');
  const redirectUri = read.string('OIDC_REDIRECT_URI', '');
  if (!redirectUri || !/\/auth\/oidc\/callback$/.test(redirectUri)) {
    problems.push("OIDC_REDIRECT_URI is required with OIDC_ISSUER: this service's https://<host>/auth/oidc/callback");
  } else url('OIDC_REDIRECT_URI', redirectUri);
  const roleMap: Record<string, string> = {};
  for (const entry of read
    .string('OIDC_ROLE_MAP', '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    if (at <= 0 || at === entry.length - 1) problems.push(`OIDC_ROLE_MAP entries look like group=role (got "${entry}")`);
    else roleMap[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  const defaultRole = read.string('OIDC_DEFAULT_ROLE', '') || null;
  if (!Object.keys(roleMap).length && !defaultRole)
    problems.push('OIDC_ROLE_MAP (group=role,...) or OIDC_DEFAULT_ROLE is required with OIDC_ISSUER');
  const postLogout = read.string('OIDC_POST_LOGOUT_REDIRECT_URI', '');
  if (postLogout) url('OIDC_POST_LOGOUT_REDIRECT_URI', postLogout);
  return {
    issuer,
    clientId,
    clientSecret: read.string('OIDC_CLIENT_SECRET', '') || undefined,
    redirectUri,
    label: read.string('OIDC_LABEL', 'single sign-on'),
    scopes: read.string('OIDC_SCOPES', 'openid email profile').split(/\s+/).filter(Boolean),
    roleClaim: read.string('OIDC_ROLE_CLAIM', 'groups'),
    roleMap,
    defaultRole,
    passwordSignIn,
    pagePath,
    ...(postLogout && { postLogoutRedirectUri: postLogout }),
    allowLoopbackHttp,
  };
}

function isLoopbackHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

function readPagePath(value: string, problems: string[]): AppConfig['page'] {
  if (value === 'off') return null;
  if (
    !/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(value) ||
    /^\/(docs|docs-json|health|auth|user|admin|scopes|roles|oauth)(\/|$)/.test(value)
  ) {
    problems.push("PAGE_PATH must be a path of its own such as /page (not one of the API's), or off");
    return null;
  }
  return { path: value };
}

/** Only what the TypeORM CLI needs: no pepper, no admin. */
export function loadDatabaseConfig(env: Env = process.env): DatabaseConfig {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const database = readDatabase(read, resolve(read.string('DATA_DIR', './data')));
  if (problems.length) throw new ConfigError(problems);
  return database;
}

function readDatabase(read: EnvReader, dataDir: string): DatabaseConfig {
  const url = read.string('DATABASE_URL', '');
  if (!url) {
    mkdirSync(dataDir, { recursive: true });
    return { type: 'sqlite', file: join(dataDir, 'pat-service.sqlite') };
  }
  if (!/^(mysql|mariadb):\/\/[^/]+\/[A-Za-z0-9_$-]+(\?.*)?$/.test(url)) {
    read.problem('DATABASE_URL must look like mysql://user:password@host:3306/database (or mariadb://...)');
  }
  return {
    type: 'mysql',
    flavor: url.startsWith('mariadb:') ? 'mariadb' : 'mysql',
    url: url.replace(/^mariadb:/, 'mysql:'),
    poolSize: read.int('DB_POOL_SIZE', 10, 1, 500),
  };
}

/**
 * TOKEN_PEPPER (and TOKEN_PEPPER_PREVIOUS, comma-separated). On the embedded default an unset
 * pepper is generated once into DATA_DIR (mode 0600) and reused. On MySQL it must be configured:
 * instances must share it, and it must not live in the database it protects.
 */
function readPeppers(env: Env, database: DatabaseConfig, dataDir: string, problems: string[]): string[] {
  const previous = (env.TOKEN_PEPPER_PREVIOUS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  let current = env.TOKEN_PEPPER?.trim();
  if (!current) {
    if (database.type === 'mysql') {
      problems.push(
        'TOKEN_PEPPER is required with DATABASE_URL (32+ random characters, the same on every instance; e.g. `openssl rand -base64 48`)',
      );
      return [];
    }
    current = pepperFile(dataDir);
  }
  const peppers = [current, ...previous];
  if (peppers.some((p) => p.length < 32)) problems.push('TOKEN_PEPPER and TOKEN_PEPPER_PREVIOUS entries must be at least 32 characters');
  return peppers;
}

function pepperFile(dataDir: string): string {
  const file = join(dataDir, 'token-pepper');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const pepper = randomBytes(48).toString('base64url');
  writeFileSync(file, pepper + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return pepper;
}

/** A cron expression (evaluated in UTC), or `off` for a job that is not scheduled. */
function readCron(value: string, problems: string[], name = 'EXPIRY_JOB_CRON'): string | false {
  if (value === 'off') return false;
  if (!validateCronExpression(value).valid) problems.push(`${name} must be a cron expression such as "* * * * *", or off (got "${value}")`);
  return value;
}

function readWebhook(read: EnvReader, problems: string[]): AppConfig['webhook'] {
  const url = read.string('WEBHOOK_URL', '');
  const secret = read.string('WEBHOOK_SECRET', '');
  const maxAttempts = read.int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 50);
  if (!url) return null;
  if (!/^https?:\/\/[^\s]+$/.test(url)) problems.push('WEBHOOK_URL must be an http(s) URL');
  if (secret.length < 32) problems.push('WEBHOOK_SECRET is required with WEBHOOK_URL (32+ random characters, e.g. `openssl rand -hex 32`)');
  return { url, secret, maxAttempts };
}

/** Names proxy-addr (Fastify's and Express's trust) reads as ranges of their own. */
const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `true`, `false`, or a comma-separated list of proxy addresses and CIDRs (IPv4 and IPv6):
 * only their `X-Forwarded-For` hops are believed. A malformed entry is named at start-up.
 */
function readTrustProxy(value: string | undefined, problems: string[]): boolean | string[] {
  if (!value || value === 'false') return false;
  if (value === 'true') return true;
  const entries = value.split(',').map((v) => v.trim());
  for (const entry of entries) {
    if (!isProxyAddress(entry)) {
      problems.push(`TRUST_PROXY must be true, false, or proxy addresses/CIDRs separated by commas; "${entry}" is none of these`);
    }
  }
  return entries;
}

function isProxyAddress(entry: string): boolean {
  if (NAMED_PROXY_RANGES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function readScopesFile(path: string | undefined, problems: string[]): ScopeResourceDefinition[] {
  if (!path) return [];
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { resources?: unknown };
    const resources = parsed.resources;
    if (!Array.isArray(resources)) throw new Error('expected {"resources": [...]}');
    return resources.map((r, i) => {
      const { resource, description, actions, sensitive } = r as Partial<ScopeResourceDefinition>;
      if (typeof resource !== 'string' || !Array.isArray(actions) || actions.some((a) => typeof a !== 'string')) {
        throw new Error(`resources[${i}] needs "resource" (string) and "actions" (strings)`);
      }
      const sensitiveValid =
        sensitive === undefined ||
        typeof sensitive === 'boolean' ||
        (Array.isArray(sensitive) && sensitive.every((a) => actions.includes(a)));
      if (!sensitiveValid) throw new Error(`resources[${i}].sensitive must be true, false, or a list of its actions`);
      return {
        resource,
        description: typeof description === 'string' ? description : undefined,
        actions,
        ...(sensitive !== undefined && { sensitive }),
      };
    });
  } catch (error) {
    problems.push(`SCOPES_FILE ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, fallback: T, choices: readonly T[]): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((choices as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${choices.join(', ')} (got "${raw}")`);
    return fallback;
  }
}
