import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });
const digest: TableColumnOptions = { name: 'digest', type: 'varchar', length: '64' };

/**
 * TokensModule's baseline: tokens, their scopes, retired digests, the webhook outbox and job
 * leases, as the one chain left them at 1795400012000, created where absent. Tokens name their
 * owner by id with no foreign key, so the owner may live in the host's own users table.
 */
export class TokensTables1795400012300 implements MigrationInterface {
  name = 'TokensTables1795400012300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTablesIfAbsent(queryRunner, [
      new Table({
        name: 'personal_access_tokens',
        columns: [
          { ...id(), isPrimary: true },
          id('user_id'),
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          digest,
          { name: 'status', type: 'varchar', length: '16' },
          time('created_at'),
          time('expires_at', true),
          time('revoked_at', true),
          time('rotated_at', true),
          time('last_used_at', true),
          { name: 'last_used_ip', type: 'varchar', length: '45', isNullable: true },
          time('expiry_notice_7d_for', true),
          time('expiry_notice_1d_for', true),
          { name: 'name_key', type: 'varchar', length: '64' },
        ],
        indices: [
          { name: 'UQ_pat_digest', columnNames: ['digest'], isUnique: true },
          { name: 'IDX_pat_user_status', columnNames: ['user_id', 'status'] },
          { name: 'IDX_pat_status_expires', columnNames: ['status', 'expires_at'] },
          { name: 'UQ_pat_user_name_key', columnNames: ['user_id', 'name_key'], isUnique: true },
        ],
      }),
      new Table({
        name: 'personal_access_token_scopes',
        columns: [
          { ...id('token_id'), isPrimary: true },
          { name: 'scope', type: 'varchar', length: '200', isPrimary: true },
        ],
        foreignKeys: [
          {
            name: 'FK_pat_scopes_token',
            columnNames: ['token_id'],
            referencedTableName: 'personal_access_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
      new Table({
        name: 'personal_access_token_retired_digests',
        columns: [{ ...digest, isPrimary: true }, id('token_id'), time('retired_at')],
        indices: [{ name: 'IDX_pat_retired_token', columnNames: ['token_id'] }],
        foreignKeys: [
          {
            name: 'FK_pat_retired_token',
            columnNames: ['token_id'],
            referencedTableName: 'personal_access_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
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
      new Table({
        name: 'job_leases',
        columns: [
          { name: 'name', type: 'varchar', length: '100', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '36', isNullable: true },
          { name: 'lease_until', type: 'datetime', precision: 3 },
        ],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, [
      'job_leases',
      'webhook_deliveries',
      'personal_access_token_retired_digests',
      'personal_access_token_scopes',
      'personal_access_tokens',
    ]);
  }
}
