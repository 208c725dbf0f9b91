import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { Optional, ToDate, ToId } from '../../core/validation';
import type { AuditAuthMethod, AuditOutcome } from '../audit-event.entity';

const DATE_MESSAGE = 'must be an ISO 8601 date-time with a time zone, such as 2026-12-31T23:59:59Z';
export const AUDIT_OUTCOMES = ['success', 'denied', 'error'] as const;
const AUDIT_AUTH_METHODS: AuditAuthMethod[] = ['session', 'personal_access_token', 'none', 'system'];
export const AUDIT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export const MAX_AUDIT_PAGE = 200;

/** `?tokenId=&action=&outcome=&from=&to=&cursor=&limit=&format=` */
export class AuditEventQueryDto {
  /**
   * A token's whole trail: what was done with it (requests it authenticated, `tokenId`) and what was
   * done to it (created, renamed, scopes changed, rotated, regenerated, revoked, expired, reuse
   * detected: `targetId`). Events match when either field is this id; successful views of the
   * token (`personal_access_token.read`, `personal_access_token.list_scopes`) are not part of it.
   */
  @Optional()
  @ToId()
  @IsUUID()
  tokenId?: string;

  /** Exact action name, such as `personal_access_token.create`. */
  @Optional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @Optional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  /** Events at or after this instant. */
  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  from?: Date;

  /** Events before this instant. */
  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  to?: Date;

  /** `nextCursor` of the previous page. */
  @Optional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor is not one this API handed out' })
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer' })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_AUDIT_PAGE)
  limit: number = 50;

  /** `json` pages (default); `ndjson` or `csv` stream every matching event (no cursor, no limit). */
  @ApiPropertyOptional({ enum: AUDIT_FORMATS })
  @Optional()
  @IsIn(AUDIT_FORMATS)
  format: (typeof AUDIT_FORMATS)[number] = 'json';
}

export class AdminAuditEventQueryDto extends AuditEventQueryDto {
  /** Events in this user's trail: what they did, and what was done to their tokens. */
  @Optional()
  @ToId()
  @IsUUID()
  userId?: string;
}

export const AUDIT_ENTRY_KINDS = ['event', 'rollup'] as const;

/**
 * One entry of the audit trail: an event, or a roll-up of `count` requests of one kind in one
 * minute (successful reads; refusals after the first of their kind) between `occurredAt` and
 * `lastOccurredAt`, which has no request id, user agent or duration of its own. Never a secret,
 * a digest or a request body.
 */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** `rollup`: `count` requests of one kind in one minute; `event`: one request or system action. */
  @ApiProperty({ enum: AUDIT_ENTRY_KINDS })
  kind: (typeof AUDIT_ENTRY_KINDS)[number];
  /** When it happened; for a roll-up, the first of its requests. */
  occurredAt: Date;
  /** The last of a roll-up's requests; an event's own time. */
  lastOccurredAt: Date;
  /** How many requests the entry stands for: 1 for an event. */
  @ApiProperty({ type: 'integer', minimum: 1 })
  count: number;
  /** The user who acted; null for the system or an unidentified caller. */
  @ApiProperty({ format: 'uuid', nullable: true })
  actorUserId: string | null;
  actorEmail: string | null;
  /** Whose trail this is: the caller, or the owner of the token a system action touched. */
  @ApiProperty({ format: 'uuid', nullable: true })
  subjectUserId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true })
  tokenId: string | null;
  tokenName: string | null;
  @ApiProperty({ enum: AUDIT_AUTH_METHODS })
  authMethod: AuditAuthMethod;
  /** @example "personal_access_token.create" */
  action: string;
  targetType: string | null;
  targetId: string | null;
  @ApiProperty({ enum: AUDIT_OUTCOMES })
  outcome: AuditOutcome;
  @ApiProperty({ type: 'integer', nullable: true })
  statusCode: number | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  durationMs: number | null;
  details: Record<string, unknown> | null;
}

export class AuditEventPageDto {
  /** Newest first. */
  items: AuditEventDto[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}
