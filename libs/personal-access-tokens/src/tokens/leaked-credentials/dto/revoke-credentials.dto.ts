import { ArrayMaxSize, IsArray, IsString } from 'class-validator';

export const MAX_CREDENTIALS_PER_CALL = 1000;

/** Credentials found where they should not be (a public repository, a paste, a log). */
export class RevokeCredentialsDto {
  /** Up to 1000 strings; anything that is not a live token of this service is ignored. */
  @IsArray()
  @ArrayMaxSize(MAX_CREDENTIALS_PER_CALL)
  @IsString({ each: true })
  credentials: string[];
}
