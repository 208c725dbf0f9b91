import { ApiProperty } from '@nestjs/swagger';
import type { AuthMethod } from '../../scopes/principal';

export class MeTokenDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  name: string;
  scopes: string[];
  expiresAt: Date | null;
}

/** The caller: who they are, what their role allows, and how this request authenticated. */
export class MeResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  email: string;
  displayName: string;
  role: string;
  privileges: string[];
  /** Scope grant patterns of the role. */
  roleScopes: string[];
  /** @example "personal_access_token" */
  authMethod: AuthMethod;
  /** The token of a PAT-authenticated request. */
  token?: MeTokenDto;
}
