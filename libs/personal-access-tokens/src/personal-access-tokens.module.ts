import { DynamicModule, Module, Type } from '@nestjs/common';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { PersonalAccessTokensCoreModule } from './core/core.module';
import {
  PersonalAccessTokensForRootAsyncOptions,
  PersonalAccessTokensForRootOptions,
  withoutRoutes,
} from './personal-access-tokens.module-definition';
import { ScopesModule } from './scopes/scopes.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

/**
 * Personal access tokens for a Nest app in one import: the core, the audit trail, users and roles
 * (or the host's own, through `userDirectory`), scopes, tokens with their expiry job and webhooks,
 * and the join (`AuthModule`: the global bearer guard, fail closed with `@Public()` to opt out,
 * then `ScopesGuard`). Each of these modules can also be imported on its own.
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
  static forRoot({ isGlobal, routes, ...options }: PersonalAccessTokensForRootOptions): DynamicModule {
    return compose(PersonalAccessTokensCoreModule.forRoot(options), options.userDirectory === undefined, isGlobal, routes);
  }

  static forRootAsync({ isGlobal, routes, ...options }: PersonalAccessTokensForRootAsyncOptions): DynamicModule {
    return compose(PersonalAccessTokensCoreModule.forRootAsync(options), options.userDirectory === undefined, isGlobal, routes);
  }
}

function compose(core: DynamicModule, ownUsers: boolean, isGlobal = false, routes = true): DynamicModule {
  // AuditModule before AuthModule: global guards run in the order their modules are imported.
  const features: Type[] = [AuditModule, ...(ownUsers ? [UsersModule] : []), ScopesModule, TokensModule, AuthModule];
  const modules = routes ? features : withoutRoutes(features);
  return { module: PersonalAccessTokensModule, global: isGlobal, imports: [core, ...modules], exports: modules };
}
