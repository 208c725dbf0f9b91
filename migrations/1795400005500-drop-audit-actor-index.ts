import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * No query filters the trail by actor (a user's trail is `subject_user_id`, which every request
 * event shares with its actor), and each index is paid on every audited request: drop it.
 */
export class DropAuditActorIndex1795400005500 implements MigrationInterface {
  name = 'DropAuditActorIndex1795400005500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('audit_events', 'IDX_audit_actor_time');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'audit_events',
      new TableIndex({ name: 'IDX_audit_actor_time', columnNames: ['actor_user_id', 'occurred_at'] }),
    );
  }
}
