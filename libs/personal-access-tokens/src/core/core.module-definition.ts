import { ConfigurableModuleBuilder, ModuleMetadata, Type } from '@nestjs/common';
import { PersonalAccessTokensModuleOptions } from './personal-access-tokens.options';
import { UserDirectory } from './user-directory';

/** Module-shaping options of the core module, known when the module is declared. */
export interface PersonalAccessTokensCoreExtras {
  /**
   * The host's own user store, for an app that does not import `UsersModule` (which provides the
   * default directory over the library's `users` and `roles` tables).
   */
  userDirectory?: Type<UserDirectory>;
  /** Modules the user directory needs (e.g. `TypeOrmModule.forFeature([Account])`). */
  imports?: ModuleMetadata['imports'];
}

export const {
  ConfigurableModuleClass: CoreConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CORE_MODULE_OPTIONS,
  OPTIONS_TYPE: CORE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CORE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PersonalAccessTokensModuleOptions>({ moduleName: 'PersonalAccessTokensCore' })
  .setClassMethodName('forRoot')
  .setExtras<PersonalAccessTokensCoreExtras>({}, (definition, extras) => ({
    ...definition,
    // Every feature module injects the options, the clock and the unit of work from here.
    global: true,
    imports: [...(definition.imports ?? []), ...(extras.imports ?? [])],
    providers: [
      ...(definition.providers ?? []),
      ...(extras.userDirectory ? [{ provide: UserDirectory, useClass: extras.userDirectory }] : []),
    ],
    exports: [...(definition.exports ?? []), ...(extras.userDirectory ? [UserDirectory] : [])],
  }))
  .build();
