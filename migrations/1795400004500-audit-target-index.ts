import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** A token's trail is `token_id = ? OR target_id = ?`: the second half gets its own index, like the first. */
export class AuditTargetIndex1795400004500 implements MigrationInterface {
  name = 'AuditTargetIndex1795400004500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'audit_events',
      new TableIndex({ name: 'IDX_audit_target_time', columnNames: ['target_id', 'occurred_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('audit_events', 'IDX_audit_target_time');
  }
}
