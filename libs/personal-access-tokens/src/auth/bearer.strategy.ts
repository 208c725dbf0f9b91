import { Inject, Injectable, Optional } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { InvalidRequestError, MissingCredentialsError } from '../core/auth.errors';
import { CookieCredentials } from './cookie-credentials';
import { CredentialVerifier } from './credential-verifier';
import { readCredential } from './credentials';
import { FailedAuthLimiter } from './failed-auth-limiter';
import { Principal } from '../scopes/principal';

export const BEARER_STRATEGY = 'personal-access-token-bearer';

export interface StrategyRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
  ip?: string;
}

/**
 * passport-http-bearer, with RFC 6750's rules applied before it: `Bearer` or `ApiKey` scheme,
 * b64token characters, a length cap, and no tokens in the query string or body. Failures are
 * domain errors that the exception filter answers with the right `WWW-Authenticate` challenge.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, BEARER_STRATEGY) {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly failures: FailedAuthLimiter,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    // A page module's session cookie, consulted only when there is no Authorization header.
    @Optional() private readonly cookies?: CookieCredentials,
  ) {
    super({ passReqToCallback: true, realm: options.realm });
  }

  /** The same checks as `authenticate`, answered directly: what the bearer guard runs on every request it checks. */
  authenticateRequest(request: StrategyRequest): Promise<Principal> {
    let credential = readCredential(request);
    if (credential.kind === 'missing' && this.cookies) {
      try {
        credential = this.cookies.read(request);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    if (credential.kind === 'missing') return Promise.reject(new MissingCredentialsError(this.options.realm));
    if (credential.kind === 'invalid') return Promise.reject(new InvalidRequestError(this.options.realm, credential.description));
    return this.validate(request, credential.token);
  }

  override authenticate(request: StrategyRequest, options?: object): void {
    // passport attaches error() to the strategy for the duration of authenticate().
    const fail = (error: Error) => (this as unknown as { error(e: Error): void }).error(error);
    let credential = readCredential(request);
    if (credential.kind === 'missing' && this.cookies) {
      try {
        credential = this.cookies.read(request);
      } catch (error) {
        return fail(error as Error);
      }
    }
    if (credential.kind === 'missing') return fail(new MissingCredentialsError(this.options.realm));
    if (credential.kind === 'invalid') return fail(new InvalidRequestError(this.options.realm, credential.description));
    // The stock strategy then reads the header again: hand it the normalized Bearer form.
    const view = Object.create(request, { headers: { value: { ...request.headers, authorization: `Bearer ${credential.token}` } } });
    super.authenticate(view, options);
  }

  async validate(request: StrategyRequest, token: string): Promise<Principal> {
    return this.failures.guard(request.ip ?? 'unknown', token, (digestOf) =>
      this.verifier.verify(token, request.ip, { digestOf, userAgent: request.headers['user-agent'] }),
    );
  }
}
