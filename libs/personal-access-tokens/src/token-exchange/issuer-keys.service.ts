import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { ResolvedTokenExchangeOptions, TOKEN_EXCHANGE_OPTIONS } from './token-exchange.options';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether an issuer or JWKS URL may be fetched: https, or http on loopback when the options allow it. */
export function isFetchableUrl(value: string, allowLoopbackHttp: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  return url.protocol === 'https:' || (allowLoopbackHttp && url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

/**
 * The signing keys of each trusted issuer: its discovery document names the JWKS, which jose's
 * `createRemoteJWKSet` caches and fetches again when a token names a `kid` it does not hold
 * (not more often than the cooldown), so that a key rotation at the issuer needs nothing here.
 */
@Injectable()
export class IssuerKeysService {
  private readonly byIssuer = new Map<string, { keys: JWTVerifyGetKey; until: number }>();

  constructor(@Inject(TOKEN_EXCHANGE_OPTIONS) private readonly options: ResolvedTokenExchangeOptions) {}

  /** The key resolver of `issuer`, or null when its discovery document cannot be read or does not vouch for it. */
  async keysOf(issuer: string): Promise<JWTVerifyGetKey | null> {
    const cached = this.byIssuer.get(issuer);
    if (cached && cached.until > Date.now()) return cached.keys;
    const jwksUri = await this.discoverJwksUri(issuer);
    if (!jwksUri) return cached?.keys ?? null;
    const keys = createRemoteJWKSet(new URL(jwksUri), {
      cooldownDuration: this.options.jwksCooldownSeconds * 1000,
      cacheMaxAge: this.options.jwksCacheSeconds * 1000,
      timeoutDuration: 5000,
    });
    this.byIssuer.set(issuer, { keys, until: Date.now() + this.options.jwksCacheSeconds * 1000 });
    return keys;
  }

  private async discoverJwksUri(issuer: string): Promise<string | null> {
    const allowHttp = this.options.allowLoopbackHttpIssuers;
    if (!isFetchableUrl(issuer, allowHttp)) return null;
    try {
      const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
        redirect: 'error',
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) return null;
      const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery 4.3: the document must name the very issuer it was fetched for.
      if (document.issuer !== issuer || typeof document.jwks_uri !== 'string') return null;
      return isFetchableUrl(document.jwks_uri, allowHttp) ? document.jwks_uri : null;
    } catch {
      return null;
    }
  }
}
