import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });
// The seeded roles, as the one chain seeds them (1795400000000); later changes get migrations of their own.
const ALL_PRIVILEGES = [
  'GENERATE_PERSONAL_ACCESS_TOKENS',
  'MANAGE_ALL_ACCESS_TOKENS',
  'MANAGE_USERS',
  'VIEW_AUDIT_LOG',
  'INTROSPECT_TOKENS',
];
const SEED_ROLES = [
  {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'admin',
    description: "Everything, including users, everyone's tokens and the audit trail",
    privileges: ALL_PRIVILEGES,
    scopes: ['*'],
  },
  {
    id: '00000000-0000-4000-8000-000000000002',
    name: 'member',
    description: 'Creates tokens with any non-administrative scope',
    privileges: ['GENERATE_PERSONAL_ACCESS_TOKENS'],
    scopes: ['*', '!admin:*', '!tokens:introspect'],
  },
  {
    id: '00000000-0000-4000-8000-000000000003',
    name: 'viewer',
    description: 'Reads; cannot create tokens',
    privileges: [],
    scopes: ['*:read', '*:list'],
  },
];

/**
 * UsersModule's baseline: roles (seeded) and users, as the one chain left them at 1795400012000,
 * created where absent. A host with its own users does not run it, and gets neither table.
 */
export class UsersTables1795400012200 implements MigrationInterface {
  name = 'UsersTables1795400012200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const created = await createTablesIfAbsent(queryRunner, [
      new Table({
        name: 'roles',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'name', type: 'varchar', length: '50' },
          { name: 'description', type: 'varchar', length: '255' },
          { name: 'privileges', type: 'text' },
          { name: 'scopes', type: 'text' },
        ],
        indices: [{ name: 'UQ_roles_name', columnNames: ['name'], isUnique: true }],
      }),
      new Table({
        name: 'users',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'email', type: 'varchar', length: '320' },
          { name: 'display_name', type: 'varchar', length: '200' },
          { name: 'password_hash', type: 'varchar', length: '255' },
          id('role_id'),
          { name: 'active', type: 'boolean', default: 1 },
          time('created_at'),
          time('updated_at'),
          time('sessions_not_before', true),
        ],
        indices: [{ name: 'UQ_users_email', columnNames: ['email'], isUnique: true }],
        foreignKeys: [
          {
            name: 'FK_users_role',
            columnNames: ['role_id'],
            referencedTableName: 'roles',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
    ]);
    if (!created.includes('roles')) return;
    for (const role of SEED_ROLES) {
      await queryRunner.query('INSERT INTO roles (id, name, description, privileges, scopes) VALUES (?, ?, ?, ?, ?)', [
        role.id,
        role.name,
        role.description,
        JSON.stringify(role.privileges),
        JSON.stringify(role.scopes),
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, ['users', 'roles']);
  }
}
