import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });

/**
 * OpenID Connect sign-in (the (issuer, subject) links of users, and the sign-ins under way) and
 * RFC 8693 token exchange (trust policies, and the `jti` of every exchanged ID token until it expires).
 */
export class OidcAndTokenExchange1795400012000 implements MigrationInterface {
  name = 'OidcAndTokenExchange1795400012000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
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
    );
    await queryRunner.createTable(
      new Table({
        name: 'oidc_sign_in_attempts',
        columns: [
          // SHA-256 of the state: the row is found, and consumed, by the value the browser brings back.
          { name: 'state_digest', type: 'varchar', length: '64', isPrimary: true },
          { name: 'code_verifier', type: 'varchar', length: '128' },
          { name: 'nonce', type: 'varchar', length: '128' },
          { name: 'target', type: 'varchar', length: '16' },
          time('expires_at'),
        ],
        indices: [{ name: 'IDX_oidc_sign_in_attempts_expires', columnNames: ['expires_at'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'token_exchange_policies',
        columns: [
          { ...id(), isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'issuer', type: 'varchar', length: '255' },
          { name: 'audience', type: 'varchar', length: '255' },
          { name: 'conditions', type: 'text' },
          id('user_id'),
          { name: 'scopes', type: 'text' },
          { name: 'token_lifetime_seconds', type: queryRunner.connection.driver.normalizeType({ type: 'int' }) },
          { name: 'enabled', type: 'boolean', default: 1 },
          time('created_at'),
          time('updated_at'),
        ],
        indices: [
          { name: 'UQ_token_exchange_policies_name', columnNames: ['name'], isUnique: true },
          { name: 'IDX_token_exchange_policies_issuer', columnNames: ['issuer'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'token_exchange_replays',
        columns: [
          // SHA-256 of issuer and jti: one row per exchanged ID token, unique on every node of a cluster.
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          time('expires_at'),
        ],
        indices: [{ name: 'IDX_token_exchange_replays_expires', columnNames: ['expires_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['token_exchange_replays', 'token_exchange_policies', 'oidc_sign_in_attempts', 'oidc_identities']) {
      await queryRunner.dropTable(table);
    }
  }
}
