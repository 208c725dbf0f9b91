import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

/**
 * PersonalAccessTokensCoreModule's baseline: the shared rate-limit counters and lock rows, as the
 * one chain left them at 1795400012000, created where absent.
 */
export class CoreTables1795400012100 implements MigrationInterface {
  name = 'CoreTables1795400012100';

  async up(queryRunner: QueryRunner): Promise<void> {
    const int = queryRunner.connection.driver.normalizeType({ type: 'int' });
    await createTablesIfAbsent(queryRunner, [
      new Table({
        name: 'rate_limit_counters',
        columns: [
          { name: 'key', type: 'varchar', length: '200', isPrimary: true },
          { name: 'window_start', type: 'bigint', isPrimary: true },
          { name: 'count', type: int },
        ],
        indices: [{ name: 'IDX_rate_limit_window', columnNames: ['window_start'] }],
      }),
      new Table({
        name: 'lock_rows',
        columns: [
          { name: 'name', type: 'varchar', length: '100', isPrimary: true },
          { name: 'version', type: int },
        ],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, ['lock_rows', 'rate_limit_counters']);
  }
}
