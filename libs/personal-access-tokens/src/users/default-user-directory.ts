import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { readRows, tableOf } from '../core/raw-entity';
import { Role } from './role.entity';
import { User } from './user.entity';
import { DirectoryUser, UserDirectory } from '../core/user-directory';

/** The `UserDirectory` over this library's own `users` and `roles` tables: one plain query, role joined. */
@Injectable()
export class DefaultUserDirectory implements UserDirectory {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async findById(id: string): Promise<DirectoryUser | null> {
    const manager = this.users.manager;
    const [row] = await readRows(
      manager,
      `SELECT u.id, u.email, u.display_name, u.active, r.name AS role_name, r.privileges, r.scopes ` +
        `FROM ${tableOf(manager, User)} u JOIN ${tableOf(manager, Role)} r ON r.id = u.role_id WHERE u.id = ?`,
      [id],
    );
    if (!row) return null;
    return {
      id: String(row.id),
      email: String(row.email),
      displayName: String(row.display_name),
      active: Boolean(Number(row.active)),
      role: String(row.role_name),
      privileges: JSON.parse(String(row.privileges)) as string[],
      scopes: JSON.parse(String(row.scopes)) as string[],
    };
  }
}
