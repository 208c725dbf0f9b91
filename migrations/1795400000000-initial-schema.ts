import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

// Written with the Table API so the same file runs on SQLite and MySQL/MariaDB.
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });
// The seeded roles, as they were when this migration landed (later changes get migrations of their own).
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
const digest: TableColumnOptions = { name: 'digest', type: 'varchar', length: '64' };

export class InitialSchema1795400000000 implements MigrationInterface {
  name = 'InitialSchema1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
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
    );
    await queryRunner.createTable(
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
    );
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [{ ...id(), isPrimary: true }, id('user_id'), digest, time('created_at'), time('expires_at'), time('revoked_at', true)],
        indices: [
          { name: 'UQ_sessions_digest', columnNames: ['digest'], isUnique: true },
          { name: 'IDX_sessions_user', columnNames: ['user_id'] },
          { name: 'IDX_sessions_expires', columnNames: ['expires_at'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'personal_access_tokens',
        columns: [
          { ...id(), isPrimary: true },
          id('user_id'),
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          digest,
          { name: 'status', type: 'varchar', length: '16' },
          time('created_at'),
          time('expires_at', true),
          time('revoked_at', true),
          time('rotated_at', true),
          time('last_used_at', true),
          { name: 'last_used_ip', type: 'varchar', length: '45', isNullable: true },
        ],
        indices: [
          { name: 'UQ_pat_digest', columnNames: ['digest'], isUnique: true },
          { name: 'UQ_pat_user_name', columnNames: ['user_id', 'name'], isUnique: true },
          { name: 'IDX_pat_user_status', columnNames: ['user_id', 'status'] },
          { name: 'IDX_pat_status_expires', columnNames: ['status', 'expires_at'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'personal_access_token_scopes',
        columns: [
          { ...id('token_id'), isPrimary: true },
          { name: 'scope', type: 'varchar', length: '200', isPrimary: true },
        ],
        foreignKeys: [
          {
            name: 'FK_pat_scopes_token',
            columnNames: ['token_id'],
            referencedTableName: 'personal_access_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'personal_access_token_retired_digests',
        columns: [{ ...digest, isPrimary: true }, id('token_id'), time('retired_at')],
        indices: [{ name: 'IDX_pat_retired_token', columnNames: ['token_id'] }],
        foreignKeys: [
          {
            name: 'FK_pat_retired_token',
            columnNames: ['token_id'],
            referencedTableName: 'personal_access_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
    );
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
    for (const table of [
      'personal_access_token_retired_digests',
      'personal_access_token_scopes',
      'personal_access_tokens',
      'sessions',
      'users',
      'roles',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
