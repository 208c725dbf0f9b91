import { Module } from '@nestjs/common';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { GrantRules } from './grant-rules';
import { ScopeCatalog } from './scope-catalog';

/**
 * The authorization vocabulary: the scope catalog (built-in and product scopes), the grant rules,
 * `@RequireScopes`, `@RequirePrivileges`, `ScopesGuard` and `/scopes`. It knows principals, not
 * how they authenticated: `AuthModule` runs `ScopesGuard` after its bearer guard on the routes that declare scopes.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers }), ScopesModule, TokensModule, AuthModule]
 */
@Module({
  providers: [
    { provide: ScopeCatalog, inject: [PAT_OPTIONS], useFactory: (options: ResolvedOptions) => new ScopeCatalog(options.productScopes) },
    GrantRules,
  ],
  exports: [ScopeCatalog, GrantRules],
})
export class ScopesModule {}
