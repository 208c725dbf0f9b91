import { DynamicModule, Module, Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { AdminAuditRoutesModule, MyAuditRoutesModule } from './audit/audit-routes.module';
import { IntrospectionRoutesModule, MeRoutesModule } from './auth/auth-routes.module';
import { ScopesRoutesModule } from './scopes/scopes-routes.module';
import { AdminTokensRoutesModule, LeakedCredentialsRoutesModule, TokensRoutesModule } from './tokens/tokens-routes.module';
import { AdminTokenUsageRoutesModule, TokenUsageRoutesModule } from './usage/token-usage.module';
import { AdminUsersRoutesModule, RolesRoutesModule } from './users/users-routes.module';

/**
 * The library's routes, by feature; each is mounted or not. A feature left out of the object is
 * not mounted: `{ tokens: true }` mounts the own-token routes only.
 */
export interface PersonalAccessTokensRoutes {
  /** `/user/me/personal-access-tokens`: a user's own tokens; with audit, `…/:id/usage`. */
  tokens?: boolean;
  /** `/admin/personal-access-tokens`, `/admin/users/:id/personal-access-tokens/revoke`; with users, `/admin/users`; with audit, `/admin/audit-events`, `/admin/personal-access-tokens/busiest` and `…/:id/usage`. */
  admin?: boolean;
  /** `POST /personal-access-tokens/introspect` and `GET /auth/verify`. */
  introspection?: boolean;
  /** `POST /credentials/revoke`, for secret scanners. */
  leakedCredentials?: boolean;
  /** `GET /scopes`; with users, `GET /roles`. */
  scopes?: boolean;
  /** `GET /user/me`: the caller and its credential (PAT or session). */
  me?: boolean;
  /** `GET /user/me/audit-events`, with audit. */
  audit?: boolean;
}

export interface PersonalAccessTokensRoutesOptions {
  /** Which routes (default: all of them). */
  routes?: PersonalAccessTokensRoutes;
  /** Mount them under this path (`'pat'`: `/pat/user/me/personal-access-tokens`...), through Nest's `RouterModule`. */
  path?: string;
  /** The app has the library's own users (`UsersModule`): `/admin/users` and `/roles` come with `admin` and `scopes`. */
  users?: boolean;
  /** The app has `AuditModule`: `/user/me/audit-events` and `/admin/audit-events` come with `audit` and `admin`. */
  audit?: boolean;
}

const ALL: Required<PersonalAccessTokensRoutes> = {
  tokens: true,
  admin: true,
  introspection: true,
  leakedCredentials: true,
  scopes: true,
  me: true,
  audit: true,
};

/**
 * Mounts the library's routes, feature by feature, for an app that imports the modules
 * (`PersonalAccessTokensModule.forRoot({ routes, path })` does this for you). Each route module
 * imports the feature module it serves; the routes carry the library's error shape, validation,
 * guards and audit, and nothing of it reaches the host's own routes.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ ... }), ScopesModule, TokensModule, AuthModule,
 *   PersonalAccessTokensRoutesModule.register({ routes: { tokens: true, introspection: true }, path: 'pat' })]
 */
@Module({})
export class PersonalAccessTokensRoutesModule {
  static register({ routes = ALL, path, users = false, audit = false }: PersonalAccessTokensRoutesOptions = {}): DynamicModule {
    // In the order the composed modules' controllers always had (Express matches in order).
    const chosen: Array<[boolean | undefined, Type]> = [
      [audit && routes.audit, MyAuditRoutesModule],
      [audit && routes.admin, AdminAuditRoutesModule],
      [users && routes.admin, AdminUsersRoutesModule],
      [users && routes.scopes, RolesRoutesModule],
      [routes.scopes, ScopesRoutesModule],
      [routes.tokens, TokensRoutesModule],
      [audit && routes.tokens, TokenUsageRoutesModule],
      // Before the admin token routes: Express matches in order, and `busiest` is no `:id`.
      [audit && routes.admin, AdminTokenUsageRoutesModule],
      [routes.admin, AdminTokensRoutesModule],
      [routes.leakedCredentials, LeakedCredentialsRoutesModule],
      [routes.me, MeRoutesModule],
      [routes.introspection, IntrospectionRoutesModule],
    ];
    const modules = chosen.filter(([on]) => on).map(([, module]) => module);
    const router = path ? [RouterModule.register(modules.map((module) => ({ path, module })))] : [];
    return { module: PersonalAccessTokensRoutesModule, imports: [...modules, ...router] };
  }
}
