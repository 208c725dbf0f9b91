import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Roll-up rows: counted reads and repeated refusals are one row per kind and minute, holding how
 * many there were (`event_count`) and the last time (`last_occurred_at`; `occurred_at` is the
 * first). A single event has count 1 and no last time.
 */
export class AuditRollups1795400008000 implements MigrationInterface {
  name = 'AuditRollups1795400008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // SQLite names the entity's `int` `integer`: the same text, or it reports a pending change.
    const int = queryRunner.connection.driver.normalizeType({ type: 'int' });
    await queryRunner.addColumns('audit_events', [
      new TableColumn({ name: 'event_count', type: int, isNullable: false, default: 1 }),
      new TableColumn({ name: 'last_occurred_at', type: 'datetime', precision: 3, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('audit_events', 'last_occurred_at');
    await queryRunner.dropColumn('audit_events', 'event_count');
  }
}
