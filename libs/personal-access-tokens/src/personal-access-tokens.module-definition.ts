import { ConfigurableModuleBuilder, ModuleMetadata, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PersonalAccessTokensModuleOptions } from './core/personal-access-tokens.options';
import { TOKEN_CONTROLLERS, USER_CONTROLLERS } from './personal-access-tokens.routes';
import { DefaultUserDirectory } from './users/default-user-directory';
import { Role } from './users/role.entity';
import { User } from './users/user.entity';
import { UserDirectory } from './core/user-directory';
import { UsersService } from './users/users.service';

/** Module-shaping options, known when the module is declared (unlike the options themselves). */
export interface PersonalAccessTokensModuleExtras {
  /** Register the module globally. */
  isGlobal: boolean;
  /**
   * The host's own user store. Without it, the library's `users` and `roles` tables are used,
   * with their admin routes; with it, those tables are never touched.
   */
  userDirectory?: Type<UserDirectory>;
  /** Modules the user directory needs (e.g. `TypeOrmModule.forFeature([Account])`). */
  imports?: ModuleMetadata['imports'];
  /** Mount the REST routes (`/user/me/personal-access-tokens`, `/scopes`, admin...); default true. */
  routes: boolean;
}

const DEFAULT_EXTRAS: PersonalAccessTokensModuleExtras = { isGlobal: false, routes: true };

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<PersonalAccessTokensModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras(DEFAULT_EXTRAS, (definition, extras) => {
      const ownUsers = extras.userDirectory === undefined;
      return {
        ...definition,
        global: extras.isGlobal,
        imports: [...(definition.imports ?? []), ...(extras.imports ?? []), ...(ownUsers ? [TypeOrmModule.forFeature([User, Role])] : [])],
        providers: [
          ...(definition.providers ?? []),
          ...(ownUsers
            ? [UsersService, DefaultUserDirectory, { provide: UserDirectory, useExisting: DefaultUserDirectory }]
            : [{ provide: UserDirectory, useClass: extras.userDirectory! }]),
        ],
        controllers: extras.routes === false ? [] : [...TOKEN_CONTROLLERS, ...(ownUsers ? USER_CONTROLLERS : [])],
        exports: [...(definition.exports ?? []), UserDirectory, ...(ownUsers ? [UsersService] : [])],
      };
    })
    .build();
