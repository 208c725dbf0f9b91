import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../core/clock';
import { VerificationCache, VerifiedCredential } from './verification-cache';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { hasValidTokenFormat } from '../tokens/token-format';
import { TokenHasher } from '../tokens/token-hasher';
import { TokensService } from '../tokens/tokens.service';
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
  constructor(
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly cache: VerificationCache,
    private readonly clock: Clock,
  ) {}

  /**
   * `touch: false` verifies without recording a use (introspection by a third party); `digest`
   * is the secret's `TokenHasher` digest when the caller has computed it already.
   */
  async verify(secret: string, ip?: string, options?: { touch?: boolean; digest?: string }): Promise<Principal> {
    if (secret.startsWith(this.options.tokenPrefix)) {
      const { token, user } = await this.verifyToken(secret, ip, options?.touch !== false, options?.digest);
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
      if (!user?.active) throw new InvalidTokenError(this.options.realm, { userId: session.userId });
      return { user, method: 'session', sessionId: session.id };
    }
    throw new InvalidTokenError(this.options.realm);
  }

  /** From the cache when it may (expiry still checked on every hit), else the database and the directory. */
  private async verifyToken(secret: string, ip: string | undefined, touch: boolean, digest?: string): Promise<VerifiedCredential> {
    const key = hasValidTokenFormat(secret, this.options.tokenPrefix) ? (digest ?? this.hasher.digest(secret)) : undefined;
    const cached = key === undefined ? undefined : this.cache.get(key);
    if (cached && (cached.token.expiresAt === null || cached.token.expiresAt > this.clock.now())) {
      if (touch) this.tokens.recordUse(cached.token.id, ip);
      return cached;
    }
    const snapshot = this.cache.begin();
    const token = await this.tokens.verify(secret, ip, { touch });
    const user = await this.directory.findById(token.userId);
    if (!user?.active) throw new InvalidTokenError(this.options.realm, { userId: token.userId, tokenId: token.id, tokenName: token.name });
    const verified = { token, user };
    if (key !== undefined) this.cache.set(key, verified, snapshot);
    return verified;
  }
}
