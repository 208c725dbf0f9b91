import { DataSource } from 'typeorm';
import { assertSchema } from '../core/schema-check';
import { Global, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserDirectory } from '../core/user-directory';
import { DefaultUserDirectory } from './default-user-directory';
import { Role } from './role.entity';
import { User } from './user.entity';
import { UsersService } from './users.service';

/**
 * The library's own users and roles (`users`, `roles`, `/admin/users`, `/roles`) and the default
 * `UserDirectory` over them. Global, so that the modules that look users up find the directory
 * without importing this one; a host with its own users does not import it at all.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers }), UsersModule, ScopesModule, TokensModule, AuthModule]
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([User, Role])],
  providers: [UsersService, DefaultUserDirectory, { provide: UserDirectory, useExisting: DefaultUserDirectory }],
  exports: [UsersService, UserDirectory],
})
export class UsersModule implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'UsersModule', 'users', [User, Role]);
  }
}
