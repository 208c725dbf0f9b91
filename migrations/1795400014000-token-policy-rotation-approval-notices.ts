import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableForeignKey } from 'typeorm';

const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });

/**
 * Token policy (issue 23, items 2, 5 and 6):
 * - rotation with an overlap: until `rotation_overlap_ends_at` the secret that was rotated away
 *   still works, and `previous_secret_last_used_at` shows whether anything still uses it;
 * - approval of sensitive scopes: one request per pending token, decided once (approved, denied,
 *   or expired), with who decided, when and why;
 * - expiry notices at configurable lead times: the `expires_at` the last notice was sent for and
 *   that notice's lead in days (the two fixed 7-day and 1-day columns are folded into them).
 */
export class TokenPolicyRotationApprovalNotices1795400014000 implements MigrationInterface {
  name = 'TokenPolicyRotationApprovalNotices1795400014000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const int = queryRunner.connection.driver.normalizeType({ type: 'int' });
    await queryRunner.addColumns('personal_access_tokens', [
      new TableColumn(time('rotation_overlap_ends_at', true)),
      new TableColumn(time('previous_secret_last_used_at', true)),
      new TableColumn(time('expiry_notice_for', true)),
      new TableColumn({ name: 'expiry_notice_lead_days', type: int, isNullable: true }),
    ]);
    // The smallest lead already noticed for the current expiry: 1 day, else 7 days.
    await queryRunner.query(
      `UPDATE personal_access_tokens SET expiry_notice_for = expiry_notice_1d_for, expiry_notice_lead_days = 1 WHERE expiry_notice_1d_for IS NOT NULL`,
    );
    await queryRunner.query(
      `UPDATE personal_access_tokens SET expiry_notice_for = expiry_notice_7d_for, expiry_notice_lead_days = 7 ` +
        `WHERE expiry_notice_1d_for IS NULL AND expiry_notice_7d_for IS NOT NULL`,
    );
    await queryRunner.dropColumn('personal_access_tokens', 'expiry_notice_1d_for');
    await queryRunner.dropColumn('personal_access_tokens', 'expiry_notice_7d_for');

    await queryRunner.createTable(
      new Table({
        name: 'personal_access_token_approvals',
        columns: [
          { name: 'token_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'scopes', type: 'text' },
          time('requested_at'),
          time('expires_at'),
          time('decided_at', true),
          { name: 'decided_by', type: 'varchar', length: '36', isNullable: true },
          { name: 'reason', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [
          { name: 'IDX_pat_approvals_status_expires', columnNames: ['status', 'expires_at'] },
          { name: 'IDX_pat_approvals_user', columnNames: ['user_id'] },
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'personal_access_token_approvals',
      new TableForeignKey({
        name: 'FK_pat_approvals_token',
        columnNames: ['token_id'],
        referencedTableName: 'personal_access_tokens',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
        onUpdate: 'RESTRICT',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('personal_access_token_approvals', true, true);
    await queryRunner.addColumns('personal_access_tokens', [
      new TableColumn(time('expiry_notice_7d_for', true)),
      new TableColumn(time('expiry_notice_1d_for', true)),
    ]);
    await queryRunner.query(
      `UPDATE personal_access_tokens SET expiry_notice_1d_for = expiry_notice_for, expiry_notice_7d_for = expiry_notice_for WHERE expiry_notice_lead_days <= 1`,
    );
    await queryRunner.query(
      `UPDATE personal_access_tokens SET expiry_notice_7d_for = expiry_notice_for WHERE expiry_notice_lead_days > 1 AND expiry_notice_lead_days <= 7`,
    );
    for (const column of ['expiry_notice_lead_days', 'expiry_notice_for', 'previous_secret_last_used_at', 'rotation_overlap_ends_at']) {
      await queryRunner.dropColumn('personal_access_tokens', column);
    }
  }
}
