import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { readRows, tableOf } from '../core/raw-entity';
import { Role } from './role.entity';
import { User } from './user.entity';
import { DirectoryUser, UserDirectory } from '../core/user-directory';

/** Ids per `IN (...)` of `findByIds`. */
const IDS_PER_QUERY = 500;

/** The `UserDirectory` over this library's own `users` and `roles` tables: one plain query, role joined. */
@Injectable()
export class DefaultUserDirectory implements UserDirectory {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async findById(id: string): Promise<DirectoryUser | null> {
    const [row] = await readRows(this.users.manager, `${this.select(this.users.manager)} WHERE u.id = ?`, [id]);
    return row ? this.toDirectoryUser(row) : null;
  }

  async findByIds(ids: readonly string[]): Promise<DirectoryUser[]> {
    const manager = this.users.manager;
    const found: DirectoryUser[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const chunk = ids.slice(i, i + IDS_PER_QUERY);
      const rows = await readRows(manager, `${this.select(manager)} WHERE u.id IN (${chunk.map(() => '?').join(', ')})`, chunk);
      for (const row of rows) found.push(this.toDirectoryUser(row));
    }
    return found;
  }

  private toDirectoryUser(row: Record<string, unknown>): DirectoryUser {
    const cutOff = row.sessions_not_before;
    const column = this.users.metadata.findColumnWithPropertyName('sessionsNotBefore')!;
    // The driver's own reading of a date (SQLite answers a string, MySQL a Date).
    const sessionsNotBefore =
      cutOff === null || cutOff === undefined ? null : (this.users.manager.connection.driver.prepareHydratedValue(cutOff, column) as Date);
    return { ...toDirectoryUser(row), sessionsNotBefore };
  }

  private select(manager: EntityManager): string {
    return (
      `SELECT u.id, u.email, u.display_name, u.active, u.sessions_not_before, r.name AS role_name, r.privileges, r.scopes ` +
      `FROM ${tableOf(manager, User)} u JOIN ${tableOf(manager, Role)} r ON r.id = u.role_id`
    );
  }
}

function toDirectoryUser(row: Record<string, unknown>): DirectoryUser {
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
