import { PersonalAccessTokensRoutes } from './personal-access-tokens-routes.module';
import { CORE_ASYNC_OPTIONS_TYPE, CORE_OPTIONS_TYPE } from './core/core.module-definition';

/** Module-shaping options of the composition, besides the core's `userDirectory` and `imports`. */
export interface PersonalAccessTokensModuleExtras {
  /** Register the modules globally. */
  isGlobal: boolean;
  /**
   * The REST routes to mount: `true` (default) all, `false` none, or feature by feature
   * (`{ tokens: true, introspection: true }`, see `PersonalAccessTokensRoutes`).
   */
  routes: boolean | PersonalAccessTokensRoutes;
  /** Mount the routes under this path (`'pat'`: `/pat/user/me/personal-access-tokens`...). */
  path: string;
}

/** What `PersonalAccessTokensModule.forRoot` takes: the options, the user directory (optional) and the extras. */
export type PersonalAccessTokensForRootOptions = typeof CORE_OPTIONS_TYPE & Partial<PersonalAccessTokensModuleExtras>;
/** What `PersonalAccessTokensModule.forRootAsync` takes: a factory of the options, and the same extras. */
export type PersonalAccessTokensForRootAsyncOptions = typeof CORE_ASYNC_OPTIONS_TYPE & Partial<PersonalAccessTokensModuleExtras>;
