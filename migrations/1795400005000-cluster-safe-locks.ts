import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Lock rows and job leases, which replace MySQL's named locks (GET_LOCK): a Galera cluster does
 * not replicate named locks, but it certifies row writes.
 */
export class ClusterSafeLocks1795400005000 implements MigrationInterface {
  name = 'ClusterSafeLocks1795400005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'lock_rows',
        columns: [
          { name: 'name', type: 'varchar', length: '100', isPrimary: true },
          // 'int' is spelled 'integer' by SQLite: ask the driver, so the schema matches the entity.
          { name: 'version', type: queryRunner.connection.driver.normalizeType({ type: 'int' }) },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'job_leases',
        columns: [
          { name: 'name', type: 'varchar', length: '100', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '36', isNullable: true },
          { name: 'lease_until', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_leases');
    await queryRunner.dropTable('lock_rows');
  }
}
