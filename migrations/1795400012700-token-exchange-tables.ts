import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';
import { createTablesIfAbsent, dropTablesUnlessOneChain } from './module-baseline';

const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable });

/** TokenExchangeModule's baseline: trust policies and exchanged `jti`s, as the one chain left them at 1795400012000, created where absent. */
export class TokenExchangeTables1795400012700 implements MigrationInterface {
  name = 'TokenExchangeTables1795400012700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTablesIfAbsent(queryRunner, [
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
      new Table({
        name: 'token_exchange_replays',
        columns: [{ name: 'key', type: 'varchar', length: '64', isPrimary: true }, time('expires_at')],
        indices: [{ name: 'IDX_token_exchange_replays_expires', columnNames: ['expires_at'] }],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropTablesUnlessOneChain(queryRunner, ['token_exchange_replays', 'token_exchange_policies']);
  }
}
