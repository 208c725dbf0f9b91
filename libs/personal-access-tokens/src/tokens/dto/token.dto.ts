import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  Equals,
  IsArray,
  IsDate,
  IsIn,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../../core/pagination.dto';
import { Nullable, Optional, ToDate, Trim } from '../../core/validation';
import { SCOPE_PATTERN } from '../../scopes/scope';
import { EXPIRES_IN_CHOICES, type ExpiresIn } from '../token-expiry';
import { TOKEN_DESCRIPTION_MESSAGE, TOKEN_DESCRIPTION_PATTERN, TOKEN_NAME_PATTERN, tokenNameMessage } from '../token-text';
import type { TokenStatus } from '../personal-access-token.entity';
import { MAX_ALLOWED_IPS, MAX_ALLOWED_IP_LENGTH } from '../ip-allow-list';

const ALLOWED_IP_ITEM = { type: 'string', maxLength: MAX_ALLOWED_IP_LENGTH, example: '203.0.113.0/24' } as const;

const DATE_MESSAGE = 'must be an ISO 8601 date-time with a time zone, such as 2026-12-31T23:59:59Z';
const SCOPE_MESSAGE = 'each scope must look like resource:action or resource:action:entityId';
export const MAX_SCOPES_PER_TOKEN = 50;
const SCOPE_ITEM = { type: 'string', pattern: SCOPE_PATTERN.source } as const;

export class CreateTokenDto {
  /** Unique among your tokens, so audit entries name it unambiguously. @example "ci-deploy" */
  @ApiProperty({ pattern: TOKEN_NAME_PATTERN.source })
  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(TOKEN_NAME_PATTERN, { message: tokenNameMessage })
  name: string;

  /** What the token is for; null or left out for none. @example "Deploys from the main branch" */
  @ApiPropertyOptional({ pattern: TOKEN_DESCRIPTION_PATTERN.source })
  @Nullable()
  @IsString()
  @MaxLength(500)
  @Matches(TOKEN_DESCRIPTION_PATTERN, { message: TOKEN_DESCRIPTION_MESSAGE })
  description?: string | null;

  /**
   * What the token may do, within your role. May be empty: a token without scopes only identifies
   * you (it can read itself at `/self`, as a GitHub token without scopes reads public data).
   * @example ["personal_access_tokens:read"]
   */
  @ApiProperty({ type: 'array', items: SCOPE_ITEM, maxItems: MAX_SCOPES_PER_TOKEN })
  @IsArray()
  @ArrayMaxSize(MAX_SCOPES_PER_TOKEN)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SCOPE_PATTERN, { each: true, message: SCOPE_MESSAGE })
  scopes: string[];

  /** A lifetime from now. Give this or expiresAt; without either the token lives 90 days. */
  @Optional()
  @IsIn(EXPIRES_IN_CHOICES)
  expiresIn?: ExpiresIn;

  /** A custom expiry date, or null for a token that never expires (only where policy allows). */
  @Nullable()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  expiresAt?: Date | null;

  /**
   * Addresses and CIDR ranges (IPv4 and IPv6) the token may be used from; null or left out for any
   * address. Entries are stored normalised (`10.1.2.3/8` as `10.0.0.0/8`, `::ffff:192.0.2.1` as
   * `192.0.2.1`). A request from elsewhere is refused as an invalid token.
   * @example ["203.0.113.0/24", "2001:db8::/32"]
   */
  @ApiPropertyOptional({ type: 'array', items: ALLOWED_IP_ITEM, minItems: 1, maxItems: MAX_ALLOWED_IPS, nullable: true })
  @Nullable()
  @IsArray()
  @ArrayMinSize(1, { message: 'must list at least one address or range; null (or leaving it out) allows any address' })
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  allowedIps?: string[] | null;
}

const EXPIRY_IMMUTABLE = 'cannot be changed: expirations cannot be extended; rotate or regenerate the token instead';

export class UpdateTokenDto {
  @ApiPropertyOptional({ pattern: TOKEN_NAME_PATTERN.source })
  @Optional()
  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(TOKEN_NAME_PATTERN, { message: tokenNameMessage })
  name?: string;

  /** null clears the description. */
  @ApiPropertyOptional({ pattern: TOKEN_DESCRIPTION_PATTERN.source })
  @Nullable()
  @IsString()
  @MaxLength(500)
  @Matches(TOKEN_DESCRIPTION_PATTERN, { message: TOKEN_DESCRIPTION_MESSAGE })
  description?: string | null;

  /** Replaces the token's scopes (possibly with none); checked against your role again. */
  @ApiPropertyOptional({ type: 'array', items: SCOPE_ITEM, maxItems: MAX_SCOPES_PER_TOKEN })
  @Optional()
  @IsArray()
  @ArrayMaxSize(MAX_SCOPES_PER_TOKEN)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SCOPE_PATTERN, { each: true, message: SCOPE_MESSAGE })
  scopes?: string[];

  /** Replaces the token's IP allow-list; null lets any address use it. */
  @ApiPropertyOptional({ type: 'array', items: ALLOWED_IP_ITEM, minItems: 1, maxItems: MAX_ALLOWED_IPS, nullable: true })
  @Nullable()
  @IsArray()
  @ArrayMinSize(1, { message: 'must list at least one address or range; null allows any address' })
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  allowedIps?: string[] | null;

  // Declared only to refuse them with a clear message instead of "should not exist".
  @ApiHideProperty()
  @Equals(undefined, { message: EXPIRY_IMMUTABLE })
  expiresAt?: unknown;

  @ApiHideProperty()
  @Equals(undefined, { message: EXPIRY_IMMUTABLE })
  expiresIn?: unknown;
}

export class RotateTokenDto {
  /** A lifetime from now for the new secret. Give this or expiresAt; default 90 days. */
  @Optional()
  @IsIn(EXPIRES_IN_CHOICES)
  expiresIn?: ExpiresIn;

  /** Expiry of the new secret. A rotated token always expires, so null is refused. */
  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  expiresAt?: Date;
}

export class RegenerateTokenDto {
  @Optional()
  @IsIn(EXPIRES_IN_CHOICES)
  expiresIn?: ExpiresIn;

  /** A date, or null for no expiry where policy allows. */
  @Nullable()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  expiresAt?: Date | null;
}

export const TOKEN_SORT_FIELDS = ['createdAt', 'expiresAt', 'lastUsedAt'] as const;
export const TOKEN_STATUSES = ['active', 'suspended', 'expired', 'revoked'] as const;

/** The filters every token list takes (the owner's and the administrator's). */
export class TokenFiltersDto extends PageQueryDto {
  /** A token past its expiry is `expired` even before the expiry job has run. */
  @ApiPropertyOptional({ enum: TOKEN_STATUSES })
  @Optional()
  @IsIn(TOKEN_STATUSES)
  status?: TokenStatus;

  /** Part of the token name. */
  @Optional()
  @IsString()
  @MaxLength(100)
  search?: string;
}

export class ListTokensQueryDto extends TokenFiltersDto {
  @ApiPropertyOptional({ enum: TOKEN_SORT_FIELDS })
  @Optional()
  @IsIn(TOKEN_SORT_FIELDS)
  sort: (typeof TOKEN_SORT_FIELDS)[number] = 'createdAt';

  @ApiPropertyOptional({ enum: ['asc', 'desc'] })
  @Optional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';
}

export class AddScopeDto {
  /** @example "reports:read" */
  @ApiProperty({ pattern: SCOPE_PATTERN.source })
  @IsString()
  @Matches(SCOPE_PATTERN, { message: 'scope must look like resource:action or resource:action:entityId' })
  scope: string;
}

/** A token's metadata. Never its secret or digest. */
export class TokenResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  userId: string;
  name: string;
  description: string | null;
  scopes: string[];
  /** `expired` as soon as expiresAt passes; `suspended` while suspended (and not expired or revoked). */
  status: TokenStatus;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
  /** The user agent of the last recorded use (at most 255 characters). */
  lastUsedUserAgent: string | null;
  revokedAt: Date | null;
  rotatedAt: Date | null;
  /** Addresses and CIDR ranges the token may be used from; null for any address. */
  @ApiProperty({ type: 'array', items: { type: 'string' }, nullable: true })
  allowedIps: string[] | null;
  /** When the token was suspended; null unless suspended. */
  suspendedAt: Date | null;
  /** Who suspended it: the owner's id, or an administrator's. */
  @ApiProperty({ format: 'uuid', nullable: true, type: 'string' })
  suspendedBy: string | null;
}

/** Returned by create, rotate and regenerate: the only time the secret is ever shown. */
export class CreatedTokenResponseDto extends TokenResponseDto {
  /** The secret. Store it now: it cannot be shown again. @example "pat_8Gk2J0q1X3b5N7m9P1r3T5v7X9z1B3d5F7h9Jk3L2a" */
  token: string;
}

export class TokenPageDto {
  items: TokenResponseDto[];
  @ApiProperty({ type: 'integer' })
  total: number;
  @ApiProperty({ type: 'integer' })
  page: number;
  @ApiProperty({ type: 'integer' })
  pageSize: number;
}

/** An address a token was used from (its last five distinct ones are kept). */
export class TokenAddressDto {
  /** @example "203.0.113.7" */
  ip: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** One token in full: its metadata and where it was used. */
export class TokenDetailResponseDto extends TokenResponseDto {
  /**
   * The last five distinct addresses it was used from, most recent first. Uses are recorded at
   * most once a minute per address (`lastUsedWriteIntervalSeconds`).
   */
  recentAddresses: TokenAddressDto[];
}

export class TokenScopesDto {
  @ApiProperty({ format: 'uuid' })
  tokenId: string;
  scopes: string[];
}
