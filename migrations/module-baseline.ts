import { QueryRunner, Table } from 'typeorm';

/** The first migration of the one chain: a database where it ran has every table of the library. */
const ONE_CHAIN_START = 'InitialSchema1795400000000';

/**
 * Creates each of a module's tables that does not exist yet, and returns the names of those it
 * created. A database migrated by the one chain has them all, so a module's baseline changes
 * nothing there; a new database gets only the tables of the modules whose lists it runs.
 */
export async function createTablesIfAbsent(queryRunner: QueryRunner, tables: Table[]): Promise<string[]> {
  const created: string[] = [];
  for (const table of tables) {
    if (await queryRunner.hasTable(table.name)) continue;
    await queryRunner.createTable(table);
    created.push(table.name);
  }
  return created;
}

/**
 * Drops a module's tables (children first), unless the one chain created them: then its own
 * migrations' `down` drops them, and the baseline, which created nothing, reverts nothing.
 */
export async function dropTablesUnlessOneChain(queryRunner: QueryRunner, tables: string[]): Promise<void> {
  if (await oneChainRan(queryRunner)) return;
  for (const table of tables) if (await queryRunner.hasTable(table)) await queryRunner.dropTable(table);
}

async function oneChainRan(queryRunner: QueryRunner): Promise<boolean> {
  const options = queryRunner.connection.options as { migrationsTableName?: string };
  const name = options.migrationsTableName ?? 'migrations';
  if (!(await queryRunner.hasTable(name))) return false;
  const rows: unknown[] = await queryRunner.query(
    `SELECT 1 FROM ${queryRunner.connection.driver.escape(name)} WHERE ${queryRunner.connection.driver.escape('name')} = ?`,
    [ONE_CHAIN_START],
  );
  return rows.length > 0;
}
