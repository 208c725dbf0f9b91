import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { Clock } from '../core/clock';
import { isUniqueViolation } from '../core/database-errors';
import { Page } from '../core/pagination.dto';
import { UnitOfWork } from '../core/unit-of-work';
import { UserChanges } from '../core/user-changes';
import { CreateUserDto, RoleResponseDto, UpdateUserDto, UserResponseDto } from './dto/user.dto';
import { hashPassword, UNMATCHABLE_PASSWORD_HASH, verifyPassword } from './password-hasher';
import { Role } from './role.entity';
import { User } from './user.entity';
import { Privilege } from '../scopes/privileges';
import { EmailTakenError, LastAdministratorError, UnknownRoleError, UserNotFoundError } from './users.errors';

/** The default user store: accounts, their roles, and password checks for login. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Role) private readonly roles: Repository<Role>,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly userChanges: UserChanges,
  ) {}

  async create(input: CreateUserDto): Promise<UserResponseDto> {
    const role = await this.roleNamed(input.role);
    const now = this.clock.now();
    const user: User = {
      id: randomUUID(),
      email: input.email.trim().toLowerCase(),
      displayName: input.displayName,
      passwordHash: await hashPassword(input.password),
      roleId: role.id,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    try {
      // A copy: insert() writes driver values (such as tinyint 1) back into the object it is given.
      await this.unitOfWork.run((manager) => manager.insert(User, { ...user }));
    } catch (error) {
      throw isUniqueViolation(error) ? new EmailTakenError() : error;
    }
    return toUserResponse({ ...user, role });
  }

  async list(page: number, pageSize: number): Promise<Page<UserResponseDto>> {
    const [users, total] = await this.users.findAndCount({
      relations: { role: true },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: users.map(toUserResponse), total, page, pageSize };
  }

  async get(id: string): Promise<UserResponseDto> {
    const user = await this.users.findOne({ where: { id }, relations: { role: true } });
    if (!user) throw new UserNotFoundError();
    return toUserResponse(user);
  }

  async update(id: string, changes: UpdateUserDto): Promise<UserResponseDto> {
    const role = changes.role === undefined ? undefined : await this.roleNamed(changes.role);
    const patch: Partial<User> = { updatedAt: this.clock.now() };
    if (changes.displayName !== undefined) patch.displayName = changes.displayName;
    if (changes.active !== undefined) patch.active = changes.active;
    // Deactivation is a cut-off: the sessions it ends stay ended whatever happens next.
    if (changes.active === false) patch.sessionsNotBefore = patch.updatedAt;
    if (role) patch.roleId = role.id;
    const mayRemoveAnAdministrator = patch.active === false || role !== undefined;
    const result = await this.unitOfWork.run(
      async (manager) => {
        if (mayRemoveAnAdministrator) await this.keepAnAdministrator(manager, id, patch);
        return manager.update(User, { id }, patch);
      },
      // Row locks are local to a Galera node: two demotions on two nodes lock the same rows there
      // and write different ones. Both write this lock row too, so certification lets one through.
      mayRemoveAnAdministrator ? { lock: 'pat:administrators' } : {},
    );
    if (!result.affected) throw new UserNotFoundError();
    this.userChanges.changed(id);
    return this.get(id);
  }

  /**
   * The active user with this email and password, or null. Unknown emails are checked against a
   * dummy hash so that they take as long as a wrong password.
   */
  async authenticate(email: string, password: string): Promise<User | null> {
    const user = await this.users.findOne({ where: { email: email.trim().toLowerCase() } });
    const matches = await verifyPassword(password, user?.passwordHash ?? UNMATCHABLE_PASSWORD_HASH);
    return user && matches && user.active ? user : null;
  }

  async count(): Promise<number> {
    return this.users.count();
  }

  async listRoles(): Promise<RoleResponseDto[]> {
    const roles = await this.roles.find({ order: { name: 'ASC' } });
    return roles.map(({ name, description, privileges, scopes }) => ({ name, description, privileges, scopes }));
  }

  /**
   * Refuses a change that would leave no active user able to manage users (the bootstrap admin is
   * only created on an empty table, so nobody could undo it). The active administrators' rows are
   * locked (FOR UPDATE, in id order) before they are counted: of two administrators demoting each
   * other at once, the second sees the first's change and is refused. SQLite runs one write at a time.
   * On a cluster the caller's lock row orders them (see `update`).
   */
  private async keepAnAdministrator(manager: EntityManager, id: string, patch: Partial<User>): Promise<void> {
    const roles = await manager.find(Role);
    const administering = roles.filter((role) => role.privileges.includes(Privilege.ManageUsers)).map((role) => role.id);
    if (patch.active !== false && patch.roleId !== undefined && administering.includes(patch.roleId)) return;
    if (!administering.length) return;
    const query = manager
      .createQueryBuilder(User, 'u')
      .select('u.id', 'id')
      .where('u.roleId IN (:...administering)', { administering })
      .andWhere('u.active = :active', { active: true })
      .orderBy('u.id', 'ASC');
    if (manager.connection.options.type !== 'better-sqlite3') query.setLock('pessimistic_write');
    const admins: Array<{ id: string }> = await query.getRawMany();
    if (admins.length === 1 && admins[0].id === id) throw new LastAdministratorError();
  }

  private async roleNamed(name: string): Promise<Role> {
    const role = await this.roles.findOne({ where: { name } });
    if (!role) throw new UnknownRoleError(name);
    return role;
  }
}

function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role?.name ?? '',
    active: user.active,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
