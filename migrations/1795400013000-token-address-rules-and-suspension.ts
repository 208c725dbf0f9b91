import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Token policy (issue 23): a token's IP allow-list (`allowed_ips`, JSON text, null for any
 * address), suspension (`suspended_at`, `suspended_by`: null when not suspended), the user agent
 * of its last use, and the last few distinct addresses it was used from
 * (`personal_access_token_addresses`, pruned to five per token by the last-use write-behind).
 */
export class TokenAddressRulesAndSuspension1795400013000 implements MigrationInterface {
  name = 'TokenAddressRulesAndSuspension1795400013000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('personal_access_tokens', [
      new TableColumn({ name: 'allowed_ips', type: 'text', isNullable: true }),
      new TableColumn({ name: 'suspended_at', type: 'datetime', precision: 3, isNullable: true }),
      new TableColumn({ name: 'suspended_by', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'last_used_user_agent', type: 'varchar', length: '255', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'personal_access_token_addresses',
        columns: [
          { name: 'token_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ip', type: 'varchar', length: '45', isPrimary: true },
          { name: 'first_seen_at', type: 'datetime', precision: 3 },
          { name: 'last_seen_at', type: 'datetime', precision: 3 },
        ],
        foreignKeys: [
          {
            name: 'FK_pat_addresses_token',
            columnNames: ['token_id'],
            referencedTableName: 'personal_access_tokens',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
            onUpdate: 'RESTRICT',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('personal_access_token_addresses');
    for (const column of ['last_used_user_agent', 'suspended_by', 'suspended_at', 'allowed_ips']) {
      await queryRunner.dropColumn('personal_access_tokens', column);
    }
  }
}
