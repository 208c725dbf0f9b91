import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

const id = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable });
const text = (name: string, length: string, isNullable = true): TableColumnOptions => ({ name, type: 'varchar', length, isNullable });

/**
 * AuditModule's baseline: the audit trail, as the one chain left it at 1795400012000 (roll-up
 * columns, target index, no actor index), created where absent.
 */
export class AuditTables1795400012500 implements MigrationInterface {
  name = 'AuditTables1795400012500';

  async up(queryRunner: QueryRunner): Promise<void> {
    const int = queryRunner.connection.driver.normalizeType({ type: 'int' });
    await createTablesIfAbsent(queryRunner, [
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
          { name: 'event_count', type: int, isNullable: false, default: 1 },
          { name: 'last_occurred_at', type: 'datetime', precision: 3, isNullable: true },
        ],
        indices: [
          { name: 'IDX_audit_token_time', columnNames: ['token_id', 'occurred_at'] },
          { name: 'IDX_audit_subject_time', columnNames: ['subject_user_id', 'occurred_at'] },
          { name: 'IDX_audit_time', columnNames: ['occurred_at'] },
          { name: 'IDX_audit_target_time', columnNames: ['target_id', 'occurred_at'] },
        ],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, ['audit_events']);
  }
}
