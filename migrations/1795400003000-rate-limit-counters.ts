import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class RateLimitCounters1795400003000 implements MigrationInterface {
  name = 'RateLimitCounters1795400003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'rate_limit_counters',
        columns: [
          { name: 'key', type: 'varchar', length: '200', isPrimary: true },
          { name: 'window_start', type: 'bigint', isPrimary: true },
          // 'int' is spelled 'integer' by SQLite: ask the driver, so the schema matches the entity.
          { name: 'count', type: queryRunner.connection.driver.normalizeType({ type: 'int' }) },
        ],
        indices: [{ name: 'IDX_rate_limit_window', columnNames: ['window_start'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('rate_limit_counters');
  }
}
