import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, ValidateBy } from 'class-validator';
import { isIpAddress } from '../../../tokens/ip-allow-list';
import { SCOPE_PATTERN } from '../../../scopes/scope';
import { Optional } from '../../../core/validation';

/** RFC 7662 request, as JSON or `application/x-www-form-urlencoded`. */
export class IntrospectTokenDto {
  /** The token to ask about. @example "pat_8Gk2J0q1X3b5N7m9P1r3T5v7X9z1B3d5F7h9Jk3L2a" */
  @IsString()
  @MaxLength(4096)
  token: string;

  /** Accepted and ignored: only personal access tokens are introspected here. */
  @Optional()
  @IsString()
  @MaxLength(100)
  token_type_hint?: string;

  /**
   * The address the token was presented from, as the asking service saw it. A token with an IP
   * allow-list is active only for an address on it, so without `client_ip` such a token answers
   * `{"active": false}`. @example "203.0.113.7"
   */
  @Optional()
  @IsString()
  @ValidateBy({
    name: 'isIpAddress',
    validator: {
      validate: (value) => typeof value === 'string' && isIpAddress(value),
      defaultMessage: () => 'client_ip must be an IPv4 or IPv6 address',
    },
  })
  client_ip?: string;
}

/**
 * RFC 7662 answer. For anything not usable (unknown, expired, revoked, malformed, owner
 * inactive) it is exactly `{"active": false}`.
 */
export class IntrospectionResponseDto {
  active: boolean;
  /** The token's scopes that the owner's role still grants, space-separated. @example "reports:read user:read" */
  scope?: string;
  /** The owner's user id. */
  @ApiPropertyOptional({ format: 'uuid' })
  sub?: string;
  /** The owner's email. */
  username?: string;
  /** Expiry, seconds since the epoch; absent for a token that never expires. */
  @ApiPropertyOptional({ type: 'integer' })
  exp?: number;
  /** When the current secret was issued, seconds since the epoch. */
  @ApiPropertyOptional({ type: 'integer' })
  iat?: number;
  /** @example "Bearer" */
  token_type?: string;
  token_name?: string;
  /** The token's id. */
  @ApiPropertyOptional({ format: 'uuid' })
  jti?: string;
}

/** `GET /auth/verify?scope=...`: the scope the gateway requires for this location, if any. */
export class VerifyQueryDto {
  @ApiPropertyOptional({ pattern: SCOPE_PATTERN.source })
  @Optional()
  @IsString()
  @Matches(SCOPE_PATTERN, { message: 'scope must look like resource:action or resource:action:entityId' })
  scope?: string;
}
