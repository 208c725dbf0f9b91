import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { LessThan, Repository } from 'typeorm';
import { Clock } from '../core/clock';
import { isUniqueViolation } from '../core/database-errors';
import { UnitOfWork } from '../core/unit-of-work';
import { SessionsService, IssuedSession } from '../auth/sessions/sessions.service';
import { UNMATCHABLE_PASSWORD_HASH } from '../users/password-hasher';
import { Role } from '../users/role.entity';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import {
  OidcEmailMissingError,
  OidcRoleNotMappedError,
  OidcSignInFailedError,
  OidcStateMismatchError,
  OidcUserInactiveError,
} from './oidc.errors';
import { OIDC_OPTIONS, ResolvedOidcOptions } from './oidc.options';
import { OidcIdentity } from './oidc-identity.entity';
import { OidcSignInAttempt } from './oidc-sign-in-attempt.entity';

/** A sign-in must come back from the provider within this time. */
const ATTEMPT_TTL_MS = 10 * 60_000;
const digestOf = (state: string) => createHash('sha256').update(state).digest('hex');

export interface StartedSignIn {
  authorizationUrl: string;
  /** Goes into the browser's short-lived state cookie: the callback must bring the same value back. */
  state: string;
}

export interface CompletedSignIn {
  user: { id: string; email: string };
  session: IssuedSession;
  target: 'page' | 'api';
}

/**
 * Sign-in through an OpenID provider, by `openid-client` (a certified relying party): the
 * provider's metadata from discovery at start-up, the authorization code flow with PKCE (S256),
 * state and nonce, and the ID token checked by the library. The verifier and nonce stay on the
 * server (`oidc_sign_in_attempts`), consumed by the one callback that brings the state back.
 * People are provisioned on their first sign-in and linked by (issuer, subject).
 */
@Injectable()
export class OidcService implements OnModuleInit {
  private readonly logger = new Logger(OidcService.name);
  private config!: client.Configuration;

  constructor(
    @Inject(OIDC_OPTIONS) private readonly options: ResolvedOidcOptions,
    @InjectRepository(OidcIdentity) private readonly identities: Repository<OidcIdentity>,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Role) private readonly roles: Repository<Role>,
    private readonly usersService: UsersService,
    private readonly sessions: SessionsService,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /** Discovery at start-up: a wrong issuer URL stops the service rather than every sign-in. */
  async onModuleInit(): Promise<void> {
    const { issuer, clientId, clientSecret, allowLoopbackHttp } = this.options;
    const url = new URL(issuer);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(allowLoopbackHttp && loopback))
      throw new Error(`The OIDC issuer must be an https URL (got ${issuer})`);
    this.config = await client.discovery(
      url,
      clientId,
      clientSecret ? { client_secret: clientSecret } : { token_endpoint_auth_method: 'none' },
      clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
      { execute: url.protocol === 'http:' ? [client.allowInsecureRequests] : [], timeout: 30 },
    );
    this.logger.log(`OpenID Connect sign-in through ${this.config.serverMetadata().issuer}`);
  }

  /** Where the page is served, to send the browser back to. */
  get pagePath(): string {
    return this.options.pagePath;
  }

  get endSessionSupported(): boolean {
    return typeof this.config.serverMetadata().end_session_endpoint === 'string';
  }

  async start(target: 'page' | 'api'): Promise<StartedSignIn> {
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const now = this.clock.now();
    await this.unitOfWork.run(
      async (manager) => {
        // Abandoned sign-ins go on the way, in a bounded batch.
        const stale = await manager.find(OidcSignInAttempt, {
          select: { stateDigest: true },
          where: { expiresAt: LessThan(now) },
          take: 200,
        });
        if (stale.length)
          await manager.delete(
            OidcSignInAttempt,
            stale.map((row) => row.stateDigest),
          );
        await manager.insert(OidcSignInAttempt, {
          stateDigest: digestOf(state),
          codeVerifier,
          nonce,
          target,
          expiresAt: new Date(now.getTime() + ATTEMPT_TTL_MS),
        });
      },
      { bookkeeping: true },
    );
    const url = client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.options.redirectUri,
      scope: this.options.scopes.join(' '),
      response_type: 'code',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, state };
  }

  /**
   * The provider sent the browser back. The state must be the one in this browser's cookie and
   * an open attempt (deleted here, so it works once); then openid-client redeems the code with the
   * PKCE verifier and checks the ID token (signature, issuer, audience, times, nonce).
   */
  async complete(query: string, stateCookie: string | undefined): Promise<CompletedSignIn> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (!state || !stateCookie || state !== stateCookie) throw new OidcStateMismatchError();
    const attempt = await this.consumeAttempt(state);
    const callbackUrl = new URL(this.options.redirectUri);
    callbackUrl.search = params.toString();
    let claims: client.IDToken;
    try {
      const tokens = await client.authorizationCodeGrant(this.config, callbackUrl, {
        pkceCodeVerifier: attempt.codeVerifier,
        expectedNonce: attempt.nonce,
        expectedState: state,
        idTokenExpected: true,
      });
      claims = tokens.claims()!;
      claims = await this.withUserInfo(claims, tokens.access_token);
    } catch (error) {
      throw new OidcSignInFailedError(describeFailure(error));
    }
    const user = await this.provision(claims);
    const session = await this.sessions.issue(user.id);
    return { user: { id: user.id, email: user.email }, session, target: attempt.target };
  }

  /**
   * Many providers put email and groups in the ID token (Keycloak, Entra ID, Google); others,
   * oidc-provider among them by default, only answer them at the userinfo endpoint once an access
   * token is issued. The ID token's own claims win; userinfo only fills what it lacks, for the same `sub`.
   */
  private async withUserInfo(claims: client.IDToken, accessToken: string | undefined): Promise<client.IDToken> {
    const lacking = typeof claims.email !== 'string' || claims[this.options.roleClaim] === undefined;
    if (!lacking || !accessToken || !this.config.serverMetadata().userinfo_endpoint) return claims;
    const info = await client.fetchUserInfo(this.config, accessToken, claims.sub);
    return { ...info, ...claims } as client.IDToken;
  }

  /** Where to send the browser for RP-initiated logout, or null when the provider offers none. */
  endSessionUrl(): string | null {
    if (!this.endSessionSupported) return null;
    return client.buildEndSessionUrl(this.config, {
      client_id: this.options.clientId,
      post_logout_redirect_uri: this.options.postLogoutRedirectUri,
    }).href;
  }

  private async consumeAttempt(state: string): Promise<OidcSignInAttempt> {
    const stateDigest = digestOf(state);
    const now = this.clock.now();
    const attempt = await this.unitOfWork.run(
      async (manager) => {
        const found = await manager.findOne(OidcSignInAttempt, { where: { stateDigest } });
        // The delete is the claim: of two callbacks with one state, only one deletes the row.
        const deleted = found ? await manager.delete(OidcSignInAttempt, { stateDigest }) : undefined;
        return found && deleted?.affected === 1 ? found : null;
      },
      { bookkeeping: true },
    );
    if (!attempt || attempt.expiresAt <= now) throw new OidcStateMismatchError();
    return attempt;
  }

  /** The user of this (issuer, subject), linked or created on the first sign-in, with the role the map gives today. */
  private async provision(claims: client.IDToken): Promise<User> {
    const roleName = this.mappedRole(claims);
    const role = await this.roles.findOne({ where: { name: roleName } });
    if (!role) throw new OidcRoleNotMappedError(this.options.roleClaim);
    const now = this.clock.now();
    const identity = await this.identities.findOne({ where: { issuer: claims.iss, subject: claims.sub } });
    let user = identity ? await this.users.findOne({ where: { id: identity.userId } }) : await this.linkOrCreate(claims, role, now);
    if (!user) throw new OidcSignInFailedError('the linked account no longer exists');
    if (!user.active) throw new OidcUserInactiveError();
    if (user.roleId !== role.id) {
      await this.usersService.update(user.id, { role: role.name });
      user = { ...user, roleId: role.id };
    }
    if (identity) await this.identities.update({ id: identity.id }, { lastSignInAt: now });
    return user;
  }

  private async linkOrCreate(claims: client.IDToken, role: Role, now: Date): Promise<User> {
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    // An unverified address would let anyone who types a colleague's email into the provider take over their account here.
    if (!email || email.length > 320 || claims.email_verified === false) throw new OidcEmailMissingError();
    const displayName = (typeof claims.name === 'string' && claims.name.trim()) || email;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.unitOfWork.run(async (manager) => {
          const existing = await manager.findOne(User, { where: { email } });
          const user: User = existing ?? {
            id: randomUUID(),
            email,
            displayName: displayName.slice(0, 200),
            passwordHash: UNMATCHABLE_PASSWORD_HASH,
            roleId: role.id,
            active: true,
            createdAt: now,
            updatedAt: now,
          };
          if (!existing) await manager.insert(User, { ...user });
          await manager.insert(OidcIdentity, {
            id: randomUUID(),
            issuer: claims.iss,
            subject: claims.sub,
            userId: user.id,
            createdAt: now,
            lastSignInAt: now,
          });
          return user;
        });
      } catch (error) {
        // A parallel first sign-in of the same person won: use what it wrote.
        if (attempt > 0 || !isUniqueViolation(error)) throw error;
        const identity = await this.identities.findOne({ where: { issuer: claims.iss, subject: claims.sub } });
        const user = identity && (await this.users.findOne({ where: { id: identity.userId } }));
        if (user) return user;
      }
    }
  }

  private mappedRole(claims: client.IDToken): string {
    const raw = claims[this.options.roleClaim];
    const values = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? [raw] : [];
    for (const [value, role] of Object.entries(this.options.roleMap)) if (values.includes(value)) return role;
    if (this.options.defaultRole) return this.options.defaultRole;
    throw new OidcRoleNotMappedError(this.options.roleClaim);
  }
}

/** A short reason for the error body; openid-client's messages name the check, never a secret. */
function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : 'unexpected response';
  const oauthError = (error as { error?: unknown }).error;
  // A failed claim check names the claim (nonce, iss, aud...), never the values compared.
  type Cause = { claim?: unknown; cause?: Cause };
  const inner = (error as { cause?: Cause }).cause;
  const claim = inner?.claim ?? inner?.cause?.claim;
  const reason = typeof oauthError === 'string' ? `${oauthError}: ${message}` : message;
  return (typeof claim === 'string' ? `${reason} (${claim})` : reason).slice(0, 200);
}
