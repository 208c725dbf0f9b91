import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { attributeAuditActor } from '../../core/audit-context';
import { InvalidTokenError, MissingCredentialsError } from '../../core/auth.errors';
import { CredentialVerifier } from '../credential-verifier';
import { MAX_CREDENTIAL_LENGTH, readCredential } from '../credentials';
import { FailedAuthLimiter } from '../failed-auth-limiter';
import { Principal } from '../../scopes/principal';
import { DomainError, ForbiddenError, TooManyRequestsError } from '../../core/domain-error';
import { RateLimiter } from '../../core/rate-limiter';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { isGranted } from '../../scopes/scope';
import { PersonalAccessToken } from '../../tokens/personal-access-token.entity';
import { IntrospectionResponseDto } from './dto/introspection.dto';

const INACTIVE: IntrospectionResponseDto = Object.freeze({ active: false });

/** A malformed Authorization header at the gateway: 401, since `auth_request` accepts only 2xx, 401 and 403. */
class GatewayInvalidRequestError extends DomainError {
  constructor(realm: string, description: string) {
    super(401, 'invalid_request', description, undefined, {
      'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_request", error_description="${description.replace(/"/g, "'")}"`,
    });
  }
}

export interface GatewayRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
  /** The Node request's raw headers (Fastify's `raw`, or Express's request itself): duplicates show there. */
  raw?: { rawHeaders?: string[] };
  rawHeaders?: string[];
}

/**
 * Answers "is this token good, and for what?" for other services and gateways: RFC 7662
 * introspection (a privileged caller asks about someone else's token, which records no use of
 * it), and the `auth_request` check (the token of the request being proxied, which is a use).
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly failures: FailedAuthLimiter,
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    private readonly rateLimiter: RateLimiter,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  /** `clientIp`: where the token was presented, checked against its IP allow-list. */
  async introspect(caller: Principal, secret: string, clientIp?: string): Promise<IntrospectionResponseDto> {
    const { limit, windowSeconds } = this.options.introspectionRateLimit;
    const decision = await this.rateLimiter.consume(`introspect:${caller.user.id}`, limit, windowSeconds);
    if (!decision.allowed) throw new TooManyRequestsError(decision.retryAfterSeconds);

    if (!secret.startsWith(this.options.tokenPrefix) || secret.length > MAX_CREDENTIAL_LENGTH) return INACTIVE;
    let principal: Principal;
    try {
      principal = await this.verifier.verify(secret, clientIp, { touch: false });
    } catch (error) {
      if (error instanceof InvalidTokenError) return INACTIVE;
      throw error;
    }
    const token = principal.token;
    if (!token) return INACTIVE;
    const issued = await this.tokens.findOne({ where: { id: token.id }, select: { id: true, createdAt: true, rotatedAt: true } });
    if (!issued) return INACTIVE;
    return {
      active: true,
      scope: this.effectiveScopes(principal).join(' '),
      sub: principal.user.id,
      username: principal.user.email,
      ...(token.expiresAt && { exp: seconds(token.expiresAt) }),
      iat: seconds(issued.rotatedAt ?? issued.createdAt),
      token_type: 'Bearer',
      token_name: token.name,
      jti: token.id,
    };
  }

  /**
   * The headers a gateway forwards upstream for the request's own PAT, or the RFC 6750 error
   * (always 401 or 403). With `requiredScope`, the token and its owner's role must grant it.
   */
  async verifyRequest(request: GatewayRequest, requiredScope?: string): Promise<Record<string, string>> {
    const { realm } = this.options;
    const credential = readCredential({ headers: request.headers, raw: request.raw, rawHeaders: request.rawHeaders });
    if (credential.kind === 'missing') throw new MissingCredentialsError(realm);
    if (credential.kind === 'invalid') throw new GatewayInvalidRequestError(realm, credential.description);
    const secret = credential.token;
    // The same failed-authentication limit as the bearer guard: a gateway is one more way to guess.
    const principal = await this.failures.guard(request.ip ?? 'unknown', secret, async (digestOf) => {
      if (!secret.startsWith(this.options.tokenPrefix)) throw new InvalidTokenError(realm);
      const verified = await this.verifier.verify(secret, request.ip, { digestOf, userAgent: request.headers['user-agent'] });
      if (!verified.token) throw new InvalidTokenError(realm);
      return { ...verified, token: verified.token };
    });
    const { user, token } = principal;
    attributeAuditActor(
      {
        userId: user.id,
        email: user.email,
        tokenId: token.id,
        tokenName: token.name,
        authMethod: 'personal_access_token',
      },
      request,
    );
    const scopes = this.effectiveScopes(principal);
    if (requiredScope && !isGranted(requiredScope, scopes)) {
      throw new ForbiddenError('insufficient_scope', `This action requires the scope ${requiredScope}`, {
        'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope", scope="${requiredScope}"`,
      });
    }
    return {
      'X-User-Id': principal.user.id,
      'X-User-Email': headerSafe(principal.user.email),
      'X-Token-Id': principal.token.id,
      'X-Token-Scopes': scopes.join(' '),
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
    };
  }

  /** Effective permission is the token's scopes AND the owner's current role. */
  private effectiveScopes(principal: Principal): string[] {
    return [...(principal.token?.scopes ?? [])].filter((scope) => isGranted(scope, principal.user.scopes)).sort();
  }
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** Header values must be visible ASCII; anything else (an internationalized email) is percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}
