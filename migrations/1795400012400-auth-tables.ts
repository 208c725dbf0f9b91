import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });

/** AuthModule's baseline: login sessions, as the one chain left them at 1795400012000, created where absent. */
export class AuthTables1795400012400 implements MigrationInterface {
  name = 'AuthTables1795400012400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTablesIfAbsent(queryRunner, [
      new Table({
        name: 'sessions',
        columns: [
          { ...id(), isPrimary: true },
          id('user_id'),
          { name: 'digest', type: 'varchar', length: '64' },
          time('created_at'),
          time('expires_at'),
          time('revoked_at', true),
        ],
        indices: [
          { name: 'UQ_sessions_digest', columnNames: ['digest'], isUnique: true },
          { name: 'IDX_sessions_user', columnNames: ['user_id'] },
          { name: 'IDX_sessions_expires', columnNames: ['expires_at'] },
        ],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, ['sessions']);
  }
}
