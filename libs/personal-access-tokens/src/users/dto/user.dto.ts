import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { Optional } from '../../core/validation';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const normalizeEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
/**
 * What isEmail accepts is not a pattern other validators read, and the `email` format of most is wider
 * (`a@dev`, no top-level domain): this narrower one, checked here too, is what the document promises.
 * Local part and domain labels of at most 63 characters (no `--`, which IDNA reserves), a top-level domain in letters.
 */
const EMAIL = /^[A-Za-z0-9_%+-]{1,21}(\.[A-Za-z0-9_%+-]{1,20}){0,2}@([A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}\.)+[A-Za-z]{2,63}$/;

export class CreateUserDto {
  /** @example "ada@example.com" */
  @ApiProperty({ pattern: EMAIL.source })
  @Transform(normalizeEmail)
  @IsString()
  @IsEmail()
  @Matches(EMAIL, { message: 'email must be an address such as ada@example.com (a dotted domain, a dot-separated local part)' })
  @MaxLength(254)
  email: string;

  /** At least 12 characters. */
  @IsString()
  @Length(12, 200)
  password: string;

  /** @example "Ada Lovelace" */
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  displayName: string;

  /** Role name, see `GET /roles`. @example "member" */
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,49}$/)
  role: string;
}

export class UpdateUserDto {
  @Optional()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  displayName?: string;

  @Optional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,49}$/)
  role?: string;

  /** false deactivates the user: their sessions and tokens stop working on the next request. */
  @Optional()
  @IsBoolean()
  active?: boolean;
}

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  email: string;
  displayName: string;
  role: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export class UserPageDto {
  items: UserResponseDto[];
  @ApiProperty({ type: 'integer' })
  total: number;
  @ApiProperty({ type: 'integer' })
  page: number;
  @ApiProperty({ type: 'integer' })
  pageSize: number;
}

export class RoleResponseDto {
  /** @example "member" */
  name: string;
  description: string;
  /** @example ["GENERATE_PERSONAL_ACCESS_TOKENS"] */
  privileges: string[];
  /** Scope grant patterns: `*` is a wildcard, `!` denies. @example ["*", "!admin:*"] */
  scopes: string[];
}
