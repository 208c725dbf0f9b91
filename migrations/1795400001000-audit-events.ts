import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

const id = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable });
const text = (name: string, length: string, isNullable = true): TableColumnOptions => ({ name, type: 'varchar', length, isNullable });

export class AuditEvents1795400001000 implements MigrationInterface {
  name = 'AuditEvents1795400001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // "int" on MySQL, "integer" on SQLite: what the entities' `int` columns map to on each.
    const int = queryRunner.connection.driver.normalizeType({ type: 'int' });
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { ...id('id'), isPrimary: true },
          { name: 'occurred_at', type: 'datetime', precision: 3 },
          id('actor_user_id', true),
          text('actor_email', '320'),
          id('subject_user_id', true),
          id('token_id', true),
          text('token_name', '100'),
          text('auth_method', '32', false),
          text('action', '100', false),
          text('target_type', '50'),
          text('target_id', '64'),
          text('outcome', '16', false),
          { name: 'status_code', type: int, isNullable: true },
          text('ip', '45'),
          text('user_agent', '255'),
          text('request_id', '64'),
          { name: 'duration_ms', type: int, isNullable: true },
          { name: 'details', type: 'text', isNullable: true },
        ],
        indices: [
          { name: 'IDX_audit_actor_time', columnNames: ['actor_user_id', 'occurred_at'] },
          { name: 'IDX_audit_token_time', columnNames: ['token_id', 'occurred_at'] },
          { name: 'IDX_audit_subject_time', columnNames: ['subject_user_id', 'occurred_at'] },
          { name: 'IDX_audit_time', columnNames: ['occurred_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_events');
  }
}
