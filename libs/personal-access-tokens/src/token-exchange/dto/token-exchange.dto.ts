import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Optional } from '../../core/validation';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * An RFC 8693 token exchange request, form-encoded (`application/x-www-form-urlencoded`), with
 * RFC 8693's field names.
 */
export class TokenExchangeRequestDto {
  @ApiProperty({ enum: [TOKEN_EXCHANGE_GRANT] })
  @IsString()
  @MaxLength(200)
  grant_type: string;

  /** The CI job's OIDC ID token (a JWT). */
  @IsString()
  @MaxLength(16_384)
  subject_token: string;

  @ApiProperty({ enum: [ID_TOKEN_TYPE, JWT_TOKEN_TYPE] })
  @IsString()
  @MaxLength(200)
  subject_token_type: string;

  /** Only `urn:ietf:params:oauth:token-type:access_token` (a PAT) is issued. */
  @ApiProperty({ required: false, enum: [ACCESS_TOKEN_TYPE] })
  @Optional()
  @IsString()
  @MaxLength(200)
  requested_token_type?: string;

  /** Space-separated scopes, a subset of the policy's; left out: all of the policy's. @example "reports:read" */
  @Optional()
  @IsString()
  @MaxLength(4000)
  scope?: string;
}

/** RFC 8693 section 2.2.1: the issued PAT. No refresh token: exchange a new ID token instead. */
export class TokenExchangeResponseDto {
  /** The PAT, shown this once. */
  access_token: string;
  @ApiProperty({ enum: [ACCESS_TOKEN_TYPE] })
  issued_token_type: string;
  @ApiProperty({ enum: ['Bearer'] })
  token_type: 'Bearer';
  /** Seconds until the PAT expires (at most 3600). */
  expires_in: number;
  /** The PAT's scopes, space-separated. */
  scope: string;
}
