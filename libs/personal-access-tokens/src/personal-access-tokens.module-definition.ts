import { DynamicModule, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { CORE_ASYNC_OPTIONS_TYPE, CORE_OPTIONS_TYPE } from './core/core.module-definition';

/** Module-shaping options of the composition, besides the core's `userDirectory` and `imports`. */
export interface PersonalAccessTokensModuleExtras {
  /** Register the modules globally. */
  isGlobal: boolean;
  /** Mount the REST routes (`/user/me/personal-access-tokens`, `/scopes`, admin...); default true. */
  routes: boolean;
}

/** What `PersonalAccessTokensModule.forRoot` takes: the options, the user directory (optional) and the extras. */
export type PersonalAccessTokensForRootOptions = typeof CORE_OPTIONS_TYPE & Partial<PersonalAccessTokensModuleExtras>;
/** What `PersonalAccessTokensModule.forRootAsync` takes: a factory of the options, and the same extras. */
export type PersonalAccessTokensForRootAsyncOptions = typeof CORE_ASYNC_OPTIONS_TYPE & Partial<PersonalAccessTokensModuleExtras>;

/**
 * Copies of feature modules with their providers, imports and exports but no controllers, for
 * `routes: false`; a copy imports the other copies, so that each module still exists once.
 */
export function withoutRoutes(modules: Type[]): DynamicModule[] {
  const copies = new Map<Type, DynamicModule>();
  for (const feature of modules) {
    const copy = { [`${feature.name}WithoutRoutes`]: class {} }[`${feature.name}WithoutRoutes`];
    copies.set(feature, { module: copy });
  }
  for (const feature of modules) {
    const metadata = (key: string): unknown[] => Reflect.getMetadata(key, feature) ?? [];
    Object.assign(copies.get(feature)!, {
      global: Reflect.getMetadata('__module:global__', feature) === true,
      imports: metadata(MODULE_METADATA.IMPORTS).map((m) => copies.get(m as Type) ?? m),
      providers: metadata(MODULE_METADATA.PROVIDERS),
      exports: metadata(MODULE_METADATA.EXPORTS).map((m) => copies.get(m as Type) ?? m),
    });
  }
  return [...copies.values()];
}
