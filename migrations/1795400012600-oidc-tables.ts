import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });

/** OidcModule's baseline: identities and sign-ins under way, as the one chain left them at 1795400012000, created where absent. */
export class OidcTables1795400012600 implements MigrationInterface {
  name = 'OidcTables1795400012600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTablesIfAbsent(queryRunner, [
      new Table({
        name: 'oidc_identities',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'issuer', type: 'varchar', length: '255' },
          { name: 'subject', type: 'varchar', length: '255' },
          id('user_id'),
          time('created_at'),
          time('last_sign_in_at'),
        ],
        indices: [
          { name: 'UQ_oidc_identities_issuer_subject', columnNames: ['issuer', 'subject'], isUnique: true },
          { name: 'IDX_oidc_identities_user', columnNames: ['user_id'] },
        ],
      }),
      new Table({
        name: 'oidc_sign_in_attempts',
        columns: [
          { name: 'state_digest', type: 'varchar', length: '64', isPrimary: true },
          { name: 'code_verifier', type: 'varchar', length: '128' },
          { name: 'nonce', type: 'varchar', length: '128' },
          { name: 'target', type: 'varchar', length: '16' },
          time('expires_at'),
        ],
        indices: [{ name: 'IDX_oidc_sign_in_attempts_expires', columnNames: ['expires_at'] }],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, ['oidc_sign_in_attempts', 'oidc_identities']);
  }
}
