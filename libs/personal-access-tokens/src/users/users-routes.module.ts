import { Module } from '@nestjs/common';
import { AdminUsersController } from './admin-users.controller';
import { RolesController } from './roles.controller';
import { UsersModule } from './users.module';

/** `GET /roles`: the library's own roles. */
@Module({ imports: [UsersModule], controllers: [RolesController] })
export class RolesRoutesModule {}

/** `/admin/users`: the library's own users, for administrators. */
@Module({ imports: [UsersModule], controllers: [AdminUsersController] })
export class AdminUsersRoutesModule {}
