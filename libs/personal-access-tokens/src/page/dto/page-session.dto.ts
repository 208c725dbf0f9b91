import { Transform } from 'class-transformer';
import { IsString, Length, MaxLength } from 'class-validator';

/**
 * An email and password sign-in body: the page's `POST <path>/api/session`, and a host app's own
 * login route when it extends this class (so both validate alike). The email is trimmed and lower-cased.
 *
 * @example
 * export class LoginDto extends PageSignInDto {}
 *
 * @Post('auth/login')
 * login(@Body() body: LoginDto) { ... }
 */
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
  /** Whether token events reach their owners (a webhook is configured), so the page says so only then. */
  ownersNotified: boolean;
  /** Whether CI token exchange is served, so the page offers administrators its trust policies. */
  tokenExchange: boolean;
}

export class PageSignInProviderDto {
  /** The button reads "Sign in with <label>". */
  label: string;
  /** Where the browser goes to sign in. */
  signInUrl: string;
  /** Where the browser goes after signing out (RP-initiated logout), or null. */
  signOutUrl: string | null;
}

/** How people sign in to the page. */
export class PageSignInMethodsDto {
  /** Whether email and password are accepted. */
  password: boolean;
  providers: PageSignInProviderDto[];
}
