import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { tokenNameKey } from '../libs/personal-access-tokens/src/tokens/token-name';

/**
 * Token names become unique per user by `tokenNameKey` (case-insensitive, accent-sensitive) on
 * every database, instead of by the column's collation (binary on SQLite, case- and
 * accent-insensitive on MariaDB). Names that now collide get " (2)", " (3)"… appended.
 */
export class TokenNameKey1795400004000 implements MigrationInterface {
  name = 'TokenNameKey1795400004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'personal_access_tokens',
      new TableColumn({ name: 'name_key', type: 'varchar', length: '64', isNullable: true }),
    );
    const rows: { id: string; user_id: string; name: string }[] = await queryRunner.query(
      'SELECT id, user_id, name FROM personal_access_tokens ORDER BY created_at, id',
    );
    const taken = new Set<string>();
    for (const row of rows) {
      let name = row.name;
      for (let n = 2; taken.has(`${row.user_id}/${tokenNameKey(name)}`); n++) name = `${row.name.slice(0, 90)} (${n})`;
      taken.add(`${row.user_id}/${tokenNameKey(name)}`);
      await queryRunner.query('UPDATE personal_access_tokens SET name = ?, name_key = ? WHERE id = ?', [name, tokenNameKey(name), row.id]);
    }
    await queryRunner.dropIndex('personal_access_tokens', 'UQ_pat_user_name');
    await queryRunner.changeColumn(
      'personal_access_tokens',
      'name_key',
      new TableColumn({ name: 'name_key', type: 'varchar', length: '64', isNullable: false }),
    );
    await queryRunner.createIndex(
      'personal_access_tokens',
      new TableIndex({ name: 'UQ_pat_user_name_key', columnNames: ['user_id', 'name_key'], isUnique: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('personal_access_tokens', 'UQ_pat_user_name_key');
    await queryRunner.dropColumn('personal_access_tokens', 'name_key');
    await queryRunner.createIndex(
      'personal_access_tokens',
      new TableIndex({ name: 'UQ_pat_user_name', columnNames: ['user_id', 'name'], isUnique: true }),
    );
  }
}
