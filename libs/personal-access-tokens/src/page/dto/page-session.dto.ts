import { Transform } from 'class-transformer';
import { IsString, Length, MaxLength } from 'class-validator';

export class PageSignInDto {
  /** @example "admin@example.com" */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @MaxLength(320)
  email: string;

  @IsString()
  @Length(1, 200)
  password: string;
}

export class PageSignedInDto {
  /** When the session cookie stops working. */
  expiresAt: Date;
}

export class PageUserDto {
  id: string;
  email: string;
  displayName: string;
  role: string;
  privileges: string[];
  /** Scope grant patterns of the role. */
  roleScopes: string[];
}

/** The token policy, so that the create form offers only lifetimes the API accepts. */
export class PagePolicyDto {
  defaultLifetimeDays: number;
  maxLifetimeDays: number;
  allowNoExpiry: boolean;
  rotationIntervalSeconds: number;
}

/** Who is signed in, the token policy, and the CSRF token the page sends with every change. */
export class PageSessionDto {
  user: PageUserDto;
  /** Send as `X-CSRF-Token` with every state-changing request made with the session cookie. */
  csrfToken: string;
  policy: PagePolicyDto;
}
