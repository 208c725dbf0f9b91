import { ConfigurableModuleBuilder, ModuleMetadata, Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ApiExceptionFilter } from './api-exception.filter';
import { PersonalAccessTokensModuleOptions } from './personal-access-tokens.options';
import { createValidationPipe } from './validation';
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
  /**
   * The library's error shape on every route of the app, unmatched paths included (default
   * false: on the library's own routes only). The standalone service turns it on.
   */
  globalErrorFilter?: boolean;
  /**
   * The library's validation pipe (whitelist, refuse unknown fields, convert) on every route of
   * the app (default false: on the library's own routes only). The standalone service turns it on.
   */
  globalValidationPipe?: boolean;
}

export const {
  ConfigurableModuleClass: CoreConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CORE_MODULE_OPTIONS,
  OPTIONS_TYPE: CORE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CORE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PersonalAccessTokensModuleOptions>({ moduleName: 'PersonalAccessTokensCore' })
  .setClassMethodName('forRoot')
  .setExtras<PersonalAccessTokensCoreExtras>({ globalErrorFilter: false, globalValidationPipe: false }, (definition, extras) => ({
    ...definition,
    // Every feature module injects the options, the clock and the unit of work from here.
    global: true,
    imports: [...(definition.imports ?? []), ...(extras.imports ?? [])],
    providers: [
      ...(definition.providers ?? []),
      ...(extras.userDirectory ? [{ provide: UserDirectory, useClass: extras.userDirectory }] : []),
      ...(extras.globalErrorFilter ? [{ provide: APP_FILTER, useClass: ApiExceptionFilter }] : []),
      ...(extras.globalValidationPipe ? [{ provide: APP_PIPE, useFactory: createValidationPipe }] : []),
    ],
    exports: [...(definition.exports ?? []), ...(extras.userDirectory ? [UserDirectory] : [])],
  }))
  .build();
