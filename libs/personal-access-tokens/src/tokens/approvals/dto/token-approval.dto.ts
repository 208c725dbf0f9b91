import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { PageQueryDto } from '../../../core/pagination.dto';
import { Optional, Trim } from '../../../core/validation';
import type { ApprovalStatus } from '../token-approval.entity';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;

/** A token's request for scopes that need an administrator's approval. Never a secret. */
export class ApprovalRequestDto {
  @ApiProperty({ format: 'uuid' })
  tokenId: string;
  tokenName: string;
  /** The token's owner. */
  @ApiProperty({ format: 'uuid' })
  userId: string;
  /** The owner's email, where the user directory knows it. */
  userEmail: string | null;
  /** Every scope the token asks for. */
  scopes: string[];
  /** The scopes among them that need approval. */
  sensitiveScopes: string[];
  @ApiProperty({ enum: APPROVAL_STATUSES })
  status: ApprovalStatus;
  requestedAt: Date;
  /** Undecided by then, the request expires and the token is revoked. */
  expiresAt: Date;
  decidedAt: Date | null;
  /** The administrator who decided (null while pending, or when it expired). */
  decidedBy: string | null;
  /** Why it was approved or denied. */
  reason: string | null;
}

export class ApprovalRequestPageDto {
  items: ApprovalRequestDto[];
  @ApiProperty({ type: 'integer' })
  total: number;
  @ApiProperty({ type: 'integer' })
  page: number;
  @ApiProperty({ type: 'integer' })
  pageSize: number;
}

export class ListApprovalRequestsQueryDto extends PageQueryDto {
  /** Only requests in this state (default: every state, the oldest pending first). */
  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @Optional()
  @IsIn(APPROVAL_STATUSES)
  status?: ApprovalStatus;
}

export class ApproveRequestDto {
  /** Why it is approved (optional). @example "Needed for the quarterly billing export" */
  @Optional()
  @Trim()
  @IsString()
  @Length(1, 500)
  reason?: string;
}

export class DenyRequestDto {
  /** Why it is denied: the owner reads it. @example "Use billing:read; exports do not need write access" */
  @Trim()
  @IsString()
  @Length(1, 500)
  reason: string;
}
