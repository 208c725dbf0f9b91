import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { errors as joseErrors, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { attributeAuditActor, addAuditDetails } from '../core/audit-context';
import { Clock } from '../core/clock';
import { isUniqueViolation } from '../core/database-errors';
import { RateLimiter } from '../core/rate-limiter';
import { TooManyRequestsError } from '../core/domain-error';
import { UnitOfWork } from '../core/unit-of-work';
import { DirectoryUser, UserDirectory } from '../core/user-directory';
import { GrantRules } from '../scopes/grant-rules';
import { Privilege } from '../scopes/privileges';
import { TokensService } from '../tokens/tokens.service';
import { evaluateConditions } from './claim-conditions';
import {
  ACCESS_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  JWT_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT,
  TokenExchangeRequestDto,
  TokenExchangeResponseDto,
} from './dto/token-exchange.dto';
import { IssuerKeysService } from './issuer-keys.service';
import { TokenExchangeError } from './token-exchange.errors';
import { MAX_EXCHANGED_TOKEN_SECONDS, ResolvedTokenExchangeOptions, TOKEN_EXCHANGE_OPTIONS } from './token-exchange.options';
import { TokenExchangePolicy } from './token-exchange-policy.entity';
import { TokenExchangeReplay } from './token-exchange-replay.entity';

/** Asymmetric algorithms only: a JWKS never holds the shared secret an HS256 token would need. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const REPLAY_PURGE_BATCH = 500;

const refused = (code: string, message: string) => new TokenExchangeError('invalid_grant', code, message);

/**
 * What makes an ID token the same token twice: its `jti` (GitHub and GitLab send one). A provider
 * that sends none (oidc-provider's ID tokens have none) is kept apart by its signed header and
 * payload: they cannot change without the issuer's key, unlike the signature bytes (an ECDSA
 * signature has two valid forms).
 */
function replayIdOf(token: string, claims: JWTPayload): string {
  if (typeof claims.jti === 'string') return claims.jti;
  const signed = token.slice(0, token.lastIndexOf('.'));
  return `\0signed:${createHash('sha256').update(signed).digest('hex')}`;
}

/**
 * The one rule by which a token exchange may hand out a secret: the policy's user is active, may
 * generate tokens, and their role grants every scope (the same `GrantRules` a PAT created over
 * the API goes through; `TokensService.mint` checks the role again when it writes).
 */
export function assertExchangeMayIssue(grantRules: GrantRules, user: DirectoryUser | null, scopes: readonly string[]): DirectoryUser {
  if (!user?.active)
    throw new TokenExchangeError('invalid_grant', 'policy_user_inactive', "The trust policy's user is deactivated or gone");
  if (!user.privileges.includes(Privilege.GenerateTokens)) {
    throw new TokenExchangeError('invalid_scope', 'policy_user_cannot_generate', "The trust policy's user may not generate tokens");
  }
  try {
    grantRules.assertGrantable({ user }, scopes);
  } catch {
    throw new TokenExchangeError(
      'invalid_scope',
      'scope_not_grantable',
      `The role of the trust policy's user (${user.role}) does not grant these scopes`,
    );
  }
  return user;
}

/**
 * RFC 8693 token exchange: a CI job's OIDC ID token, signed by a trusted issuer's key, meeting a
 * trust policy's conditions, becomes a PAT of the policy's user with the policy's scopes that
 * expires within the hour. Each ID token is exchanged once (its `jti`, or without one a digest of
 * its signed part, is kept until it expires).
 */
@Injectable()
export class TokenExchangeService {
  constructor(
    @InjectRepository(TokenExchangePolicy) private readonly policies: Repository<TokenExchangePolicy>,
    @Inject(TOKEN_EXCHANGE_OPTIONS) private readonly options: ResolvedTokenExchangeOptions,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly keys: IssuerKeysService,
    private readonly tokens: TokensService,
    private readonly grantRules: GrantRules,
    private readonly limiter: RateLimiter,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  async exchange(input: TokenExchangeRequestDto, ip: string): Promise<TokenExchangeResponseDto> {
    const { limit, windowSeconds } = this.options.rateLimit;
    const byIp = await this.limiter.consume(`token-exchange:ip:${ip}`, limit, windowSeconds);
    if (!byIp.allowed) throw new TooManyRequestsError(byIp.retryAfterSeconds, 'Too many token exchanges; try again later');
    this.assertRequestShape(input);

    const { claims, trusted } = await this.verify(input.subject_token);
    const issuer = claims.iss!;
    addAuditDetails({ issuer, subject: claims.sub });
    const requested = input.scope === undefined ? undefined : [...new Set(input.scope.split(' ').filter(Boolean))];
    const policy = this.matchingPolicy(trusted, claims, requested);
    const scopes = requested ?? policy.scopes;
    const user = assertExchangeMayIssue(this.grantRules, await this.directory.findById(policy.userId), scopes);
    attributeAuditActor({ userId: user.id, email: user.email });

    await this.consumeOnce(issuer, replayIdOf(input.subject_token, claims), new Date((claims.exp! + this.options.clockSkewSeconds) * 1000));
    const now = this.clock.now();
    const lifetime = Math.min(policy.tokenLifetimeSeconds, MAX_EXCHANGED_TOKEN_SECONDS);
    const created = await this.tokens.mint(user.id, {
      name: `${policy.name}-${now.toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(4).toString('hex')}`,
      description: `Token exchange (policy ${policy.name}): ${issuer} ${claims.sub}`.slice(0, 500),
      scopes,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
    });
    return {
      access_token: created.token,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: lifetime,
      scope: scopes.join(' '),
    };
  }

  private assertRequestShape(input: TokenExchangeRequestDto): void {
    if (input.grant_type !== TOKEN_EXCHANGE_GRANT) {
      throw new TokenExchangeError(
        'unsupported_grant_type',
        'unsupported_grant_type',
        `Only grant_type=${TOKEN_EXCHANGE_GRANT} is supported`,
      );
    }
    if (input.subject_token_type !== ID_TOKEN_TYPE && input.subject_token_type !== JWT_TOKEN_TYPE) {
      throw new TokenExchangeError(
        'invalid_request',
        'unsupported_subject_token_type',
        `subject_token_type must be ${ID_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}`,
        [{ field: 'subject_token_type', reason: 'must be an ID token or JWT token type' }],
      );
    }
    if (input.requested_token_type !== undefined && input.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new TokenExchangeError('invalid_request', 'unsupported_requested_token_type', `Only ${ACCESS_TOKEN_TYPE} can be issued`, [
        { field: 'requested_token_type', reason: `must be ${ACCESS_TOKEN_TYPE}` },
      ]);
    }
  }

  /** The token's claims, once its issuer is trusted by a policy and its signature, issuer, audience and times check out. */
  private async verify(token: string): Promise<{ claims: JWTPayload; trusted: TokenExchangePolicy[] }> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw refused('malformed_subject_token', 'subject_token is not a JWT');
    }
    const issuer = unverified.iss;
    const trusted =
      typeof issuer === 'string' ? await this.policies.find({ where: { issuer, enabled: true }, order: { name: 'ASC' } }) : [];
    if (!trusted.length) throw refused('untrusted_issuer', 'No trust policy accepts ID tokens from this issuer');
    const keys = await this.keys.keysOf(issuer!);
    if (!keys) throw refused('issuer_keys_unavailable', "The issuer's signing keys could not be fetched");
    const now = this.clock.now();
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience: [...new Set(trusted.map((policy) => policy.audience))],
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockSkewSeconds,
        currentDate: now,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      // jose reads `iat` only for a maximum age: an ID token issued in the future is refused here.
      if (payload.iat! > now.getTime() / 1000 + this.options.clockSkewSeconds)
        throw refused('not_yet_valid', 'The ID token was issued in the future');
      if (payload.jti !== undefined && (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 255))
        throw refused('invalid_jti', 'The ID token has no usable jti');
      return { claims: payload, trusted };
    } catch (error) {
      throw error instanceof TokenExchangeError ? error : this.verificationError(error);
    }
  }

  private verificationError(error: unknown): TokenExchangeError {
    if (error instanceof joseErrors.JWTExpired) return refused('subject_token_expired', 'The ID token has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === 'nbf' || error.claim === 'iat') return refused('not_yet_valid', 'The ID token is not yet valid');
      if (error.claim === 'aud') return refused('wrong_audience', 'The ID token is not meant for this service (aud)');
      return refused('invalid_claims', `The ID token's ${error.claim} claim is missing or invalid`);
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey)
      return refused('unknown_signing_key', "The ID token's key is not in the issuer's JWKS");
    if (error instanceof joseErrors.JWSSignatureVerificationFailed)
      return refused('invalid_signature', 'The ID token signature does not verify');
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return refused('algorithm_not_allowed', "The ID token's algorithm is not accepted");
    if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
      return refused('issuer_keys_unavailable', "The issuer's signing keys could not be fetched");
    }
    return refused('invalid_subject_token', 'The ID token does not verify');
  }

  /** The one enabled policy for this issuer and audience whose conditions all hold (and that allows the requested scopes). */
  private matchingPolicy(trusted: TokenExchangePolicy[], claims: JWTPayload, requested: string[] | undefined): TokenExchangePolicy {
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const policies = trusted.filter((policy) => audiences.includes(policy.audience));
    const failedConditions: Record<string, string[]> = {};
    const matching: Array<{ policy: TokenExchangePolicy; matched: Record<string, string> }> = [];
    for (const policy of policies) {
      const outcome = evaluateConditions(claims, policy.conditions);
      if (outcome.failed.length) failedConditions[policy.name] = outcome.failed;
      else matching.push({ policy, matched: outcome.matched });
    }
    if (!matching.length) {
      addAuditDetails({ failedConditions });
      throw refused('no_matching_policy', "No trust policy's conditions match this ID token's claims");
    }
    const allowing = requested ? matching.filter(({ policy }) => requested.every((scope) => policy.scopes.includes(scope))) : matching;
    if (!allowing.length) {
      addAuditDetails({ matchedPolicies: matching.map(({ policy }) => policy.name) });
      throw new TokenExchangeError(
        'invalid_scope',
        'scope_not_in_policy',
        'The requested scopes are beyond what the matching trust policy allows',
      );
    }
    if (allowing.length > 1) {
      addAuditDetails({ matchedPolicies: allowing.map(({ policy }) => policy.name) });
      throw new TokenExchangeError(
        'invalid_target',
        'ambiguous_policy',
        'Several trust policies match this ID token; ask for scopes only one of them allows',
      );
    }
    const [{ policy, matched }] = allowing;
    addAuditDetails({ policy: policy.name, policyId: policy.id, matched });
    return policy;
  }

  /** Records the ID token (by `replayIdOf`) until it expires; a second exchange of it hits the primary key. */
  private async consumeOnce(issuer: string, replayId: string, expiresAt: Date): Promise<void> {
    const key = createHash('sha256').update(`${issuer}\0${replayId}`).digest('hex');
    const now = this.clock.now();
    try {
      // Bookkeeping: the request's audit event belongs with the token it mints, in the next
      // transaction. Rows of ID tokens that have expired go in bounded batches on the way.
      await this.unitOfWork.run(
        async (manager) => {
          const old = await manager.find(TokenExchangeReplay, {
            select: { key: true },
            where: { expiresAt: LessThan(now) },
            take: REPLAY_PURGE_BATCH,
          });
          if (old.length)
            await manager.delete(
              TokenExchangeReplay,
              old.map((row) => row.key),
            );
          await manager.insert(TokenExchangeReplay, { key, expiresAt });
        },
        { bookkeeping: true },
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw refused('subject_token_replayed', 'This ID token has already been exchanged');
      throw error;
    }
  }
}
