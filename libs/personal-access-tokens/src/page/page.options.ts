import type { ModuleMetadata, Type } from '@nestjs/common';

/** What a sign-in hands back: a login session secret (it goes into the cookie, never to the page). */
export interface PageLoginResult {
  accessToken: string;
  expiresAt: Date;
}

/**
 * How people sign in to the page: the host's own password check, rate limits and session issue.
 * The standalone service passes its `LoginService` (the one behind `POST /auth/login`), so the
 * page and the API share one set of login limits. The class is injected from the page module's
 * `imports` (a module that provides and exports it), so a missing one fails at start-up.
 *
 * @example
 * @Injectable()
 * class MyLogin implements PageLogin {
 *   constructor(private readonly sessions: SessionsService, private readonly accounts: Accounts) {}
 *   async login({ email, password }: { email: string; password: string }) {
 *     const account = await this.accounts.check(email, password);
 *     const session = await this.sessions.issue(account.id);
 *     return { accessToken: session.secret, expiresAt: session.expiresAt };
 *   }
 * }
 */
export abstract class PageLogin {
  abstract login(credentials: { email: string; password: string }, ip: string): Promise<PageLoginResult>;
}

/**
 * Options of `PersonalAccessTokensPageModule.forRoot`.
 *
 * @example
 * PersonalAccessTokensPageModule.forRoot({ path: '/tokens', login: LoginService, imports: [LoginModule] })
 */
export interface PersonalAccessTokensPageOptions {
  /** Where the page is served, such as `/page`. */
  path: string;
  /** The provider that checks a person's email and password and issues a session. */
  login: Type<PageLogin>;
  /** The modules that provide and export `login` (it is injected, so a missing one fails at start-up). */
  imports?: ModuleMetadata['imports'];
  /** The built page (`npm run build`); default: `public/` beside this module's compiled file. */
  assetsDir?: string;
  /** Name of the session cookie (default `pat_session`). */
  cookieName?: string;
}

export interface ResolvedPageOptions {
  /** Normalized: a leading slash, no trailing one (`/page`). */
  path: string;
  login: Type<PageLogin>;
  assetsDir: string;
  cookieName: string;
}

export const PAGE_OPTIONS = Symbol('PersonalAccessTokensPageOptions');

export function resolvePageOptions(options: PersonalAccessTokensPageOptions, defaultAssetsDir: string): ResolvedPageOptions {
  const path = `/${options.path.replace(/^\/+|\/+$/g, '')}`;
  if (!/^\/[A-Za-z0-9._~/-]+$/.test(path) || path.includes('//')) {
    throw new Error(`The page path must be a plain URL path such as "/page" (got "${options.path}")`);
  }
  const cookieName = options.cookieName ?? 'pat_session';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cookieName)) throw new Error('The page cookie name must be letters, digits, "_" or "-"');
  return { path, login: options.login, assetsDir: options.assetsDir ?? defaultAssetsDir, cookieName };
}
