import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './user.entity';
import { DirectoryUser, UserDirectory } from './user-directory';

/** The `UserDirectory` over this library's own `users` and `roles` tables (one query, role joined). */
@Injectable()
export class DefaultUserDirectory implements UserDirectory {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async findById(id: string): Promise<DirectoryUser | null> {
    const user = await this.users.findOne({ where: { id }, relations: { role: true } });
    if (!user?.role) return null;
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      active: user.active,
      role: user.role.name,
      privileges: user.role.privileges,
      scopes: user.role.scopes,
    };
  }
}
