import { DataSource, EntityTarget } from 'typeorm';
import { isConnectionLost } from './database-errors';

const ATTEMPTS = 3;

/**
 * Fails start-up, naming what is missing, when a module's entity is not in the host's data source
 * or its table does not exist (migrations not run): otherwise the first request that needs it
 * fails instead (`no such table: lock_rows`). Runs once per module, after the data source (and its
 * `migrationsRun`) is up.
 *
 * @example
 * async onModuleInit() { await assertSchema(this.dataSource, 'TokensModule', 'tokens', [PersonalAccessToken]); }
 */
export async function assertSchema(dataSource: DataSource, module: string, key: string, entities: EntityTarget<unknown>[]): Promise<void> {
  const tables = `personalAccessTokensTables(${key ? `'${key}'` : ''})`;
  const missingEntities = entities.filter((entity) => !dataSource.hasMetadata(entity));
  if (missingEntities.length) {
    const names = missingEntities.map((entity) => (entity as { name?: string }).name).join(', ');
    throw new Error(
      `${module} needs the entities ${names} in the TypeORM data source: add ${tables}.entities to its entities (or use autoLoadEntities)`,
    );
  }
  const names = entities.map((entity) => dataSource.getMetadata(entity).tablePath);
  const present = await tablesPresent(dataSource, names);
  const missing = names.find((_, i) => !present[i]);
  if (missing)
    throw new Error(`${module} needs the table ${missing}, which does not exist: run ${tables}.migrations (migrationsRun: true)`);
}

/**
 * Whether each table exists. A pooled connection the server closed while the app started (a
 * start-up slower than `wait_timeout`) is replaced: the look-up reruns on a fresh one.
 */
async function tablesPresent(dataSource: DataSource, tables: string[]): Promise<boolean[]> {
  for (let attempt = 1; ; attempt++) {
    const runner = dataSource.createQueryRunner();
    try {
      const present: boolean[] = [];
      for (const table of tables) present.push(await runner.hasTable(table));
      return present;
    } catch (error) {
      if (!isConnectionLost(error) || attempt >= ATTEMPTS) throw error;
    } finally {
      await runner.release();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
