import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../core/clock';
import { VerificationCache, VerifiedCredential } from './verification-cache';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { hasValidTokenFormat } from '../tokens/token-format';
import { TokenHasher } from '../tokens/token-hasher';
import { isAddressAllowed } from '../tokens/ip-allow-list';
import { TokenBookkeepingService } from '../tokens/token-bookkeeping.service';
import { TokenVerificationService } from '../tokens/token-verification.service';
import { rememberVerifiedRow } from '../tokens/verified-rows';
import { UserDirectory } from '../core/user-directory';
import { InvalidTokenError } from '../core/auth.errors';
import { Principal } from '../scopes/principal';
import { SessionsService } from './sessions/sessions.service';

/**
 * Turns a bearer secret into a principal: a PAT or a login session (told apart by prefix, with no
 * query for anything else), then the user as the directory knows them now, so that a role change
 * or a deactivation applies to live credentials on the very next request. Verified PATs are kept
 * briefly in the `VerificationCache`, which every change on this instance invalidates.
 */
@Injectable()
export class CredentialVerifier {
  /** Lookups under way, by digest, with the cache generation they started in. */
  private readonly inFlight = new Map<string, { lookup: Promise<VerifiedCredential>; generation: number }>();

  constructor(
    private readonly tokens: TokenVerificationService,
    private readonly bookkeeping: TokenBookkeepingService,
    private readonly sessions: SessionsService,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly cache: VerificationCache,
    private readonly clock: Clock,
  ) {}

  /**
   * `touch: false` verifies without recording a use (introspection by a third party); `digestOf`
   * gives the secret's `TokenHasher` digest when the caller keeps one (the failed-auth limiter);
   * `userAgent` is the request's, kept with a recorded use.
   */
  async verify(
    secret: string,
    ip?: string,
    options?: { touch?: boolean; digestOf?: () => string; userAgent?: string | string[] },
  ): Promise<Principal> {
    if (secret.startsWith(this.options.tokenPrefix)) {
      const touch = options?.touch === false ? undefined : { userAgent: options?.userAgent };
      const { token, user } = await this.verifyToken(secret, ip, touch, options?.digestOf);
      const principal: Principal = {
        user,
        method: 'personal_access_token',
        token: { id: token.id, name: token.name, scopes: token.scopes, expiresAt: token.expiresAt },
      };
      if (token.row) rememberVerifiedRow(principal, token.row);
      return principal;
    }
    if (secret.startsWith(this.options.sessionTokenPrefix)) {
      const session = await this.sessions.findLive(secret);
      if (!session) throw new InvalidTokenError(this.options.realm);
      const user = await this.directory.findById(session.userId);
      const cutOff = user?.active && user.sessionsNotBefore;
      if (!user?.active || (cutOff && session.createdAt <= cutOff))
        throw new InvalidTokenError(this.options.realm, { userId: session.userId });
      return { user, method: 'session', sessionId: session.id };
    }
    throw new InvalidTokenError(this.options.realm);
  }

  /**
   * From the cache when it may (expiry still checked on every hit), else the database and the
   * directory. Concurrent misses for one secret share one lookup: without that, a token's entry
   * running out under load sends every request in flight for it to the database at once (on
   * MariaDB a third of the requests missed). A request that starts after a change on this
   * instance never joins a lookup that started before it, so revocation still bites at once.
   */
  private async verifyToken(
    secret: string,
    ip: string | undefined,
    touch: { userAgent?: string | string[] } | undefined,
    digestOf?: () => string,
  ): Promise<VerifiedCredential> {
    const key = hasValidTokenFormat(secret, this.options.tokenPrefix) ? (digestOf?.() ?? this.hasher.digest(secret)) : undefined;
    const cached = key === undefined ? undefined : this.cache.get(key);
    let verified: VerifiedCredential;
    if (cached && (cached.token.expiresAt === null || cached.token.expiresAt > this.clock.now())) {
      verified = cached;
    } else if (key === undefined) {
      verified = await this.lookUp(secret, undefined);
    } else {
      const snapshot = this.cache.begin();
      let pending = this.inFlight.get(key);
      if (!pending || pending.generation !== snapshot.generation) {
        const lookup = this.lookUp(secret, key).finally(() => {
          if (this.inFlight.get(key)?.lookup === lookup) this.inFlight.delete(key);
        });
        pending = { lookup, generation: snapshot.generation };
        this.inFlight.set(key, pending);
      }
      verified = await pending.lookup;
    }
    // On every use, cached or not: the allow-list is the token's, the address this request's.
    if (!isAddressAllowed(verified.token.allowedIps, ip)) {
      const { id: tokenId, name: tokenName, userId } = verified.token;
      throw new InvalidTokenError(this.options.realm, { userId, tokenId, tokenName, reason: 'address_not_allowed' });
    }
    if (touch) this.bookkeeping.recordUse(verified.token.id, ip, touch.userAgent);
    return verified;
  }

  /** One verification against the database and the directory, cached under `key`. */
  private async lookUp(secret: string, key: string | undefined): Promise<VerifiedCredential> {
    const snapshot = this.cache.begin();
    // The address is checked by `verifyToken` on every use, the cached ones included.
    const token = await this.tokens.verify(secret, undefined, { touch: false, anyAddress: true });
    const user = await this.directory.findById(token.userId);
    if (!user?.active) throw new InvalidTokenError(this.options.realm, { userId: token.userId, tokenId: token.id, tokenName: token.name });
    const verified = { token, user };
    if (key !== undefined) this.cache.set(key, verified, snapshot);
    return verified;
  }
}
