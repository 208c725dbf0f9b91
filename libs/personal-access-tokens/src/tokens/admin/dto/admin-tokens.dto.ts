import { ApiProperty } from '@nestjs/swagger';
import { IsDate, IsUUID } from 'class-validator';
import { Optional, ToDate, ToId } from '../../../core/validation';
import { ListTokensQueryDto } from '../../dto/token.dto';

const DATE_MESSAGE = 'must be an ISO 8601 date-time with a time zone, such as 2026-12-31T23:59:59Z';

/** Filters of the organisation-wide token list; all optional, combined with AND; sorted like your own. */
export class AdminListTokensQueryDto extends ListTokensQueryDto {
  /** Only this user's tokens. */
  @Optional()
  @ToId()
  @IsUUID()
  userId?: string;

  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  createdBefore?: Date;

  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  createdAfter?: Date;

  /** Tokens last used before this date (never-used tokens are not included). */
  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  lastUsedBefore?: Date;

  @Optional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  lastUsedAfter?: Date;
}

/** What revoking all of a user's credentials did. */
export class UserCredentialsRevokedDto {
  @ApiProperty({ format: 'uuid' })
  userId: string;
  /** Tokens that were active or expired and are now revoked. */
  @ApiProperty({ type: 'integer' })
  revokedTokens: number;
  /** Login sessions ended. */
  @ApiProperty({ type: 'integer' })
  endedSessions: number;
}
