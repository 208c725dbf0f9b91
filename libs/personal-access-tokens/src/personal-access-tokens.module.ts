import { DynamicModule, Module, Type } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { PersonalAccessTokensCoreModule } from './core/core.module';
import {
  PersonalAccessTokensForRootAsyncOptions,
  PersonalAccessTokensForRootOptions,
  PersonalAccessTokensModuleExtras,
} from './personal-access-tokens.module-definition';
import { PersonalAccessTokensRoutesModule } from './personal-access-tokens-routes.module';
import { ScopesModule } from './scopes/scopes.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

/**
 * Personal access tokens for a Nest app in one import: the core, the audit trail, users and roles
 * (or the host's own, through `userDirectory`), scopes, tokens with their expiry job and webhooks,
 * the join (`AuthModule`: the bearer guard then `ScopesGuard` on the library's routes and those
 * that declare scopes; on every route with `protectAllRoutes`), and the routes (all, some or none,
 * under a path of the host's choice). Each of these modules can also be imported on its own.
 *
 * @example
 * @Module({
 *   imports: [
 *     TypeOrmModule.forRoot({ ...dataSource, entities: [...PERSONAL_ACCESS_TOKENS_ENTITIES] }),
 *     PersonalAccessTokensModule.forRoot({ peppers: [pepper] }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({})
export class PersonalAccessTokensModule {
  static forRoot({ isGlobal, routes, path, ...options }: PersonalAccessTokensForRootOptions): DynamicModule {
    return compose(PersonalAccessTokensCoreModule.forRoot(options), options.userDirectory === undefined, { isGlobal, routes, path });
  }

  static forRootAsync({ isGlobal, routes, path, ...options }: PersonalAccessTokensForRootAsyncOptions): DynamicModule {
    return compose(PersonalAccessTokensCoreModule.forRootAsync(options), options.userDirectory === undefined, { isGlobal, routes, path });
  }
}

function compose(core: DynamicModule, users: boolean, extras: Partial<PersonalAccessTokensModuleExtras>): DynamicModule {
  const { isGlobal = false, routes = true, path } = extras;
  const features: Type[] = [AuditModule, ...(users ? [UsersModule] : []), ScopesModule, TokensModule, AuthModule];
  const mounted = routes === false ? [] : [PersonalAccessTokensRoutesModule.register({ routes: routes === true ? undefined : routes, path, users, audit: true })];
  return { module: PersonalAccessTokensModule, global: isGlobal, imports: [core, ...features, ...mounted], exports: features };
}
