import { ApiProperty } from '@nestjs/swagger';

/** One field that failed validation. */
export class ErrorDetailDto {
  /** @example "scopes" */
  field: string;
  /** @example "must contain at least 1 elements" */
  reason: string;
}

/** The error body of every failed request. */
export class ErrorResponseDto {
  /** @example 404 */
  @ApiProperty({ type: 'integer' })
  statusCode: number;
  /** @example "Not Found" */
  error: string;
  /** Stable machine-readable code. @example "token_not_found" */
  code: string;
  /** @example "Personal access token not found" */
  message: string;
  /** @example "3f0c1d9e-5a4b-4c1e-9d8f-2b7a6c5e4d3f" */
  requestId: string;
  details?: ErrorDetailDto[];
}
