import { IsDate, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.dto';
import { ToDate } from '../../common/validation';
import { TOKEN_STATUSES } from '../../tokens/dto/token.dto';
import type { TokenStatus } from '../../tokens/personal-access-token.entity';

const DATE_MESSAGE = 'must be an ISO 8601 date-time with a time zone, such as 2026-12-31T23:59:59Z';

/** Filters of the organisation-wide token list; all optional, combined with AND. */
export class AdminListTokensQueryDto extends PageQueryDto {
  /** Only this user's tokens. */
  @IsOptional()
  @IsUUID()
  userId?: string;

  /** The effective status: a token past its expiry is `expired` even before the expiry job ran. */
  @IsOptional()
  @IsIn(TOKEN_STATUSES)
  status?: TokenStatus;

  /** Part of the token name. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @IsOptional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  createdBefore?: Date;

  @IsOptional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  createdAfter?: Date;

  /** Tokens last used before this date (never-used tokens are not included). */
  @IsOptional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  lastUsedBefore?: Date;

  @IsOptional()
  @ToDate()
  @IsDate({ message: DATE_MESSAGE })
  lastUsedAfter?: Date;
}

/** What revoking all of a user's credentials did. */
export class UserCredentialsRevokedDto {
  userId: string;
  /** Tokens that were active or expired and are now revoked. */
  revokedTokens: number;
  /** Login sessions ended. */
  endedSessions: number;
}
