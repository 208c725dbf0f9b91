import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions } from 'typeorm';

const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });

/**
 * Expiry-notice bookkeeping on tokens (each column holds the `expires_at` a notice was sent for,
 * so a rotation that moves the expiry earns new notices), and the webhook outbox.
 */
export class ExpiryNoticesAndWebhooks1795400002000 implements MigrationInterface {
  name = 'ExpiryNoticesAndWebhooks1795400002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('personal_access_tokens', [
      new TableColumn(time('expiry_notice_7d_for', true)),
      new TableColumn(time('expiry_notice_1d_for', true)),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'event_type', type: 'varchar', length: '40' },
          { name: 'payload', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer' },
          time('next_attempt_at'),
          time('created_at'),
          time('delivered_at', true),
          { name: 'last_error', type: 'varchar', length: '255', isNullable: true },
        ],
        indices: [{ name: 'IDX_webhook_deliveries_due', columnNames: ['status', 'next_attempt_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_deliveries');
    await queryRunner.dropColumn('personal_access_tokens', 'expiry_notice_1d_for');
    await queryRunner.dropColumn('personal_access_tokens', 'expiry_notice_7d_for');
  }
}
