import { Inject, Injectable } from '@nestjs/common';
import { InvalidTokenError } from '../core/auth.errors';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { UserDirectory } from '../core/user-directory';
import { GrantRules } from '../scopes/grant-rules';
import { TokenActor } from './caller-transactions.service';
import { assertWithinCallerExpiry } from './token-expiry';

/** What a secret opens: the scopes and expiry of the token it belongs to. */
export interface IssuedToken {
  scopes: readonly string[];
  expiresAt: Date | null;
}

/** A caller about to receive a secret. */
export interface SecretIssuer {
  /** Throws (403 `scope_not_grantable` or `token_escalation`) unless the caller may receive a secret for `token`. */
  assertMayReceive(token: IssuedToken): void;
}

/**
 * The one rule of every operation that hands out a PAT secret (create, rotate, regenerate, and any
 * added later): the owner's role grants every scope of the token as of now, a PAT caller holds
 * every one of them itself (entity-scoped grants covering as `isGranted` says), and a PAT
 * caller's own expiry bounds the secret's. A secret outlives the request; so the role is read
 * from the directory afresh, not from a verification cached before a demotion.
 */
@Injectable()
export class SecretIssuancePolicy {
  constructor(
    private readonly grantRules: GrantRules,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /**
   * The caller as a receiver of secrets, with their user as the directory knows them right now.
   * Read before the transaction that issues (the directory is not part of it); check inside it.
   */
  async issuerFor(actor: TokenActor): Promise<SecretIssuer> {
    const user = await this.directory.findById(actor.user.id);
    if (!user?.active) throw new InvalidTokenError(this.options.realm, { userId: actor.user.id, tokenId: actor.token?.id });
    const caller = { ...actor, user };
    return {
      assertMayReceive: (token) => {
        this.grantRules.assertHeld(caller, token.scopes);
        assertWithinCallerExpiry(token.expiresAt, caller.token);
      },
    };
  }
}
