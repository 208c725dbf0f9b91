import { DynamicModule, Module } from '@nestjs/common';
import { join } from 'node:path';
import { AuthModule } from '../auth/auth.module';
import { CookieCredentials } from '../auth/cookie-credentials';
import { PAGE_OPTIONS, PageLogin, PersonalAccessTokensPageOptions, resolvePageOptions, ResolvedPageOptions } from './page.options';
import { PAGE_ASSETS } from './page-assets.provider';
import { loadPageAssets } from './page-assets';
import { createPageAssetsController } from './page-assets.controller';
import { createPageSessionController } from './page-session.controller';
import { PageSessionCookie } from './page-session-cookie';

/**
 * The self-service page: people sign in, create, inspect, rotate, regenerate, re-scope, revoke
 * and delete their tokens, and administrators govern everyone's, in a browser. Optional; import
 * it beside `PersonalAccessTokensModule`. The page is a client of the library's REST routes; its
 * session lives in an HttpOnly, SameSite=Strict cookie that the bearer guard accepts (with an
 * Origin and CSRF-token check on every change) when a request has no `Authorization` header.
 * Global, so that the guard finds the cookie reader.
 *
 * @example
 * @Module({
 *   imports: [
 *     PersonalAccessTokensModule.forRoot({ peppers: [pepper] }),
 *     PersonalAccessTokensPageModule.forRoot({ path: '/page', login: LoginService, imports: [LoginModule] }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({})
export class PersonalAccessTokensPageModule {
  static forRoot(options: PersonalAccessTokensPageOptions): DynamicModule {
    const resolved = resolvePageOptions(options, join(__dirname, 'public'));
    return {
      module: PersonalAccessTokensPageModule,
      global: true,
      // The sign-in class comes from the host (`imports`); sessions from AuthModule. Injected, so a wrong setup fails at start-up.
      imports: [AuthModule, ...(options.imports ?? [])],
      controllers: [createPageSessionController(resolved.path), createPageAssetsController(resolved.path)],
      providers: [
        { provide: PAGE_OPTIONS, useValue: resolved },
        { provide: PageLogin, useExisting: resolved.login },
        {
          provide: PAGE_ASSETS,
          inject: [PAGE_OPTIONS],
          useFactory: (page: ResolvedPageOptions) => loadPageAssets(page.assetsDir, page.path),
        },
        PageSessionCookie,
        { provide: CookieCredentials, useExisting: PageSessionCookie },
      ],
      exports: [CookieCredentials, PageSessionCookie],
    };
  }
}
