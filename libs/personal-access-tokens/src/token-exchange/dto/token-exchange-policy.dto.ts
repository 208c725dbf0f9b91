import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { Optional, ToId, Trim } from '../../core/validation';
import { SCOPE_PATTERN } from '../../scopes/scope';
import { MAX_EXCHANGED_TOKEN_SECONDS } from '../token-exchange.options';
import type { ClaimConditions } from '../token-exchange-policy.entity';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SCOPE_MESSAGE = 'each scope must look like resource:action or resource:action:entityId';
const CONDITIONS_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
  example: { repository: 'acme/api', ref: ['refs/heads/main', 'refs/tags/v*'] },
};

export class CreateTokenExchangePolicyDto {
  /** Unique; part of the names of the tokens it mints. @example "acme-api-deploy" */
  @ApiProperty({ pattern: NAME_PATTERN.source })
  @Trim()
  @IsString()
  @Length(1, 60)
  @Matches(NAME_PATTERN, { message: 'name must be letters, digits, ".", "_" or "-", starting with a letter or digit' })
  name: string;

  /** The `iss` of the ID tokens, exactly. @example "https://token.actions.githubusercontent.com" */
  @IsString()
  @Length(1, 255)
  @Matches(/^https?:\/\/\S+$/, { message: 'issuer must be an https URL' })
  issuer: string;

  /** The `aud` the ID tokens must carry (GitHub: the `audience` of `getIDToken`; GitLab: `id_tokens.*.aud`). @example "https://pat.example.com" */
  @IsString()
  @Length(1, 255)
  audience: string;

  /** Claim -> required value (or any of several; `*` matches any run of characters). At least one condition. */
  @ApiProperty(CONDITIONS_SCHEMA)
  @IsObject()
  conditions: ClaimConditions;

  /** The user the minted tokens belong to (a service account, say). */
  @ApiProperty({ format: 'uuid' })
  @ToId()
  @IsUUID()
  userId: string;

  /** The scopes of the minted tokens; that user's role must grant each. @example ["reports:read"] */
  @ApiProperty({ type: 'array', items: { type: 'string', pattern: SCOPE_PATTERN.source }, maxItems: 50 })
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SCOPE_PATTERN, { each: true, message: SCOPE_MESSAGE })
  scopes: string[];

  /** Lifetime of a minted token in seconds: default 900 (15 minutes), at most 3600. */
  @Optional()
  @IsInt()
  @Min(60)
  @Max(MAX_EXCHANGED_TOKEN_SECONDS)
  tokenLifetimeSeconds?: number;

  /** Default true. */
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateTokenExchangePolicyDto {
  @ApiPropertyOptional(CONDITIONS_SCHEMA)
  @Optional()
  @IsObject()
  conditions?: ClaimConditions;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', pattern: SCOPE_PATTERN.source }, maxItems: 50 })
  @Optional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(SCOPE_PATTERN, { each: true, message: SCOPE_MESSAGE })
  scopes?: string[];

  @Optional()
  @IsInt()
  @Min(60)
  @Max(MAX_EXCHANGED_TOKEN_SECONDS)
  tokenLifetimeSeconds?: number;

  @Optional()
  @IsBoolean()
  enabled?: boolean;

  @Optional()
  @IsString()
  @MaxLength(255)
  audience?: string;
}

export class TokenExchangePolicyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  name: string;
  issuer: string;
  audience: string;
  @ApiProperty(CONDITIONS_SCHEMA)
  conditions: ClaimConditions;
  @ApiProperty({ format: 'uuid' })
  userId: string;
  scopes: string[];
  tokenLifetimeSeconds: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export class TokenExchangePolicyListDto {
  items: TokenExchangePolicyResponseDto[];
}
