import { Transform } from 'class-transformer';
import { IsString, Length, MaxLength } from 'class-validator';

export class LoginDto {
  /** @example "admin@example.com" */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @MaxLength(320)
  email: string;

  @IsString()
  @Length(1, 200)
  password: string;
}

export class LoginResponseDto {
  /** An opaque session token; send it as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** @example "Bearer" */
  tokenType: 'Bearer';
  expiresAt: Date;
}
