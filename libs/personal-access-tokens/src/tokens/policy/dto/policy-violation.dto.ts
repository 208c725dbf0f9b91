import { ApiProperty } from '@nestjs/swagger';
import { TOKEN_STATUSES } from '../../dto/token.dto';
import type { TokenStatus } from '../../personal-access-token.entity';

export const POLICY_VIOLATIONS = ['no_expiry', 'lifetime_too_long'] as const;
export type PolicyViolation = (typeof POLICY_VIOLATIONS)[number];

/** A live token the current policy would not allow: it never expires, or expires later than a token made now may. */
export class PolicyViolationDto {
  @ApiProperty({ format: 'uuid' })
  tokenId: string;
  tokenName: string;
  @ApiProperty({ format: 'uuid' })
  userId: string;
  /** The owner's email, where the user directory knows it. */
  userEmail: string | null;
  @ApiProperty({ enum: TOKEN_STATUSES })
  status: TokenStatus;
  createdAt: Date;
  expiresAt: Date | null;
  @ApiProperty({ enum: POLICY_VIOLATIONS })
  violation: PolicyViolation;
  /** The expiry "shorten" gives it now: the latest the policy allows (never later than its own). */
  shortenTo: Date;
}

/** The policy the report measures against. */
export class PolicyLimitsDto {
  @ApiProperty({ type: 'integer' })
  maxLifetimeDays: number;
  allowNoExpiry: boolean;
}

export class PolicyViolationPageDto {
  items: PolicyViolationDto[];
  @ApiProperty({ type: 'integer' })
  total: number;
  @ApiProperty({ type: 'integer' })
  page: number;
  @ApiProperty({ type: 'integer' })
  pageSize: number;
  policy: PolicyLimitsDto;
}
