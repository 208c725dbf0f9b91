import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min, ValidateBy, ValidationArguments } from 'class-validator';
import { Optional } from '../../core/validation';

export const USAGE_GRANULARITIES = ['hour', 'day'] as const;
export type UsageGranularityName = (typeof USAGE_GRANULARITIES)[number];
/** The longest window per bucket size: a week of hours (168 bars), 90 days. */
export const MAX_USAGE_DAYS: Record<UsageGranularityName, number> = { hour: 7, day: 90 };
export const DEFAULT_USAGE_DAYS: Record<UsageGranularityName, number> = { hour: 1, day: 30 };

/** `days` within the bound of the chosen granularity (ranked as a bound: the rule's name is `max`). */
function WithinGranularity(): PropertyDecorator {
  const maxOf = (args: ValidationArguments) => MAX_USAGE_DAYS[(args.object as TokenUsageQueryDto).granularity] ?? MAX_USAGE_DAYS.day;
  return ValidateBy({
    name: 'max',
    validator: {
      validate: (value: unknown, args) => typeof value === 'number' && value <= maxOf(args!),
      defaultMessage: (args) =>
        `must not be greater than ${maxOf(args!)} with granularity ${(args!.object as TokenUsageQueryDto).granularity}`,
    },
  });
}

/** `?granularity=hour|day&days=` */
export class TokenUsageQueryDto {
  /** Bucket size: UTC hours or UTC days. */
  @ApiPropertyOptional({ enum: USAGE_GRANULARITIES, default: 'hour' })
  @Optional()
  @IsIn(USAGE_GRANULARITIES)
  granularity: UsageGranularityName = 'hour';

  /**
   * How many days back, up to the current hour or day included: 1 to 7 with `hour`, 1 to 90
   * with `day`. Default: 1 (the last 24 hours) with `hour`, 30 with `day`.
   */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_USAGE_DAYS.day })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @WithinGranularity()
  days?: number;
}

/** Requests in one bucket, by outcome. */
export class UsageBucketDto {
  /** The bucket's first instant (a UTC hour or day). */
  start: Date;
  /** Answered 2xx/3xx. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  success: number;
  /** Refused: 401, 403, 429. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  denied: number;
  /** Failed otherwise (4xx, 5xx). */
  @ApiProperty({ type: 'integer', minimum: 0 })
  error: number;
}

export class UsageTotalsDto {
  @ApiProperty({ type: 'integer', minimum: 0 })
  success: number;
  @ApiProperty({ type: 'integer', minimum: 0 })
  denied: number;
  @ApiProperty({ type: 'integer', minimum: 0 })
  error: number;
  /** All requests made with the token in the window. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  total: number;
}

/** An address the token was used from in the window. */
export class UsageAddressDto {
  /** @example "10.0.0.7" */
  ip: string;
  /** Its latest request with the token. */
  lastSeenAt: Date;
  /** Requests from it in the window, whatever their outcome. */
  @ApiProperty({ type: 'integer', minimum: 1 })
  requests: number;
  /** Of those, refused. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  denied: number;
}

/**
 * Requests made with one token, per hour or day, by outcome, counted from the audit trail (its
 * roll-ups of counted reads and refusals, and its events), and the addresses it was used from.
 */
export class TokenUsageDto {
  @ApiProperty({ format: 'uuid' })
  tokenId: string;
  @ApiProperty({ enum: USAGE_GRANULARITIES })
  granularity: UsageGranularityName;
  /** The window's start (the first bucket's). */
  from: Date;
  /** The window's end, exclusive: the end of the current hour or day. */
  to: Date;
  totals: UsageTotalsDto;
  /** Every bucket of the window, oldest first, empty ones included. */
  buckets: UsageBucketDto[];
  /** Up to 10 addresses, the most recently seen first. */
  addresses: UsageAddressDto[];
}

export const BUSIEST_WINDOWS = ['24h', '7d', '30d'] as const;
export type BusiestWindow = (typeof BUSIEST_WINDOWS)[number];
export const MAX_BUSIEST = 100;

/** `?window=24h|7d|30d&limit=` */
export class BusiestTokensQueryDto {
  /** The last 24 hours, 7 days or 30 days. */
  @ApiPropertyOptional({ enum: BUSIEST_WINDOWS, default: '7d' })
  @Optional()
  @IsIn(BUSIEST_WINDOWS)
  window: BusiestWindow = '7d';

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_BUSIEST, default: 20 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_BUSIEST)
  limit: number = 20;
}

/** One of the busiest tokens: whose, how much, how much of it refused. */
export class BusiestTokenDto {
  @ApiProperty({ format: 'uuid' })
  tokenId: string;
  /** Its current name; for a deleted token, the name its requests were made under. */
  tokenName: string | null;
  /** `null` once the token was deleted. */
  @ApiProperty({ enum: ['active', 'expired', 'revoked'], nullable: true })
  status: string | null;
  /** The owner. */
  @ApiProperty({ format: 'uuid', nullable: true })
  userId: string | null;
  ownerEmail: string | null;
  /** Requests made with it in the window. */
  @ApiProperty({ type: 'integer', minimum: 1 })
  requests: number;
  /** Of those, refused (401, 403, 429). */
  @ApiProperty({ type: 'integer', minimum: 0 })
  denied: number;
  /** Of those, failed otherwise. */
  @ApiProperty({ type: 'integer', minimum: 0 })
  errors: number;
  /** Its latest request in the window. */
  lastUsedAt: Date;
}

export class BusiestTokensDto {
  @ApiProperty({ enum: BUSIEST_WINDOWS })
  window: BusiestWindow;
  from: Date;
  to: Date;
  /** Most requests first. */
  items: BusiestTokenDto[];
}
