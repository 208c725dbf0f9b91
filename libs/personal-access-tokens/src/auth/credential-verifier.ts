import { Inject, Injectable } from '@nestjs/common';
import { PAT_OPTIONS, ResolvedOptions } from '../personal-access-tokens.options';
import { TokensService } from '../tokens/tokens.service';
import { UserDirectory } from '../users/user-directory';
import { InvalidTokenError } from './auth.errors';
import { Principal } from './principal';
import { SessionsService } from './sessions/sessions.service';

/**
 * Turns a bearer secret into a principal: a PAT or a login session (told apart by prefix, with no
 * query for anything else), then the user as the directory knows them now, so that a role change
 * or a deactivation applies to live credentials on the very next request.
 */
@Injectable()
export class CredentialVerifier {
  constructor(
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** `touch: false` verifies without recording a use (introspection by a third party). */
  async verify(secret: string, ip?: string, options?: { touch?: boolean }): Promise<Principal> {
    if (secret.startsWith(this.options.tokenPrefix)) {
      const token = await this.tokens.verify(secret, ip, options);
      const subject = { userId: token.userId, tokenId: token.id, tokenName: token.name };
      const user = await this.directory.findById(token.userId);
      if (!user?.active) throw new InvalidTokenError(this.options.realm, subject);
      const { userId: _owner, ...principalToken } = token;
      return { user, method: 'personal_access_token', token: principalToken };
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
}
