import { ScopeResourceDefinition } from './scopes/scope-catalog';

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
}

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
}

export type ResolvedOptions = Required<Omit<PersonalAccessTokensModuleOptions, 'policy'>> & { policy: TokenPolicy };

export const PAT_OPTIONS = Symbol('PersonalAccessTokensResolvedOptions');

export const DEFAULT_POLICY: TokenPolicy = {
  defaultLifetimeDays: 90,
  maxLifetimeDays: 365,
  allowNoExpiry: false,
  maxActiveTokensPerUser: 100,
  rotationIntervalSeconds: 3600,
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
  };
  const prefixes = [resolved.tokenPrefix, resolved.sessionTokenPrefix];
  if (prefixes.some((p) => !/^[a-z][a-z0-9]{0,15}_$/.test(p))) {
    throw new Error('Token prefixes must be lowercase letters and digits ending in "_", such as "pat_"');
  }
  if (resolved.sessionTokenPrefix.startsWith(resolved.tokenPrefix) || resolved.tokenPrefix.startsWith(resolved.sessionTokenPrefix)) {
    throw new Error('The session token prefix must not start with the PAT prefix (or the reverse)');
  }
  return resolved;
}
