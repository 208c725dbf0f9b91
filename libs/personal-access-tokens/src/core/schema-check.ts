import { DataSource, EntityTarget } from 'typeorm';

/**
 * Fails start-up, naming what is missing, when a module's entity is not in the host's data source
 * or its table does not exist (migrations not run): otherwise the first request that needs it
 * fails instead (`no such table: lock_rows`). Runs once per module, after the data source (and its
 * `migrationsRun`) is up.
 *
 * @example
 * async onModuleInit() { await assertSchema(this.dataSource, 'TokensModule', 'TOKENS_ENTITIES', [PersonalAccessToken]); }
 */
export async function assertSchema(dataSource: DataSource, module: string, list: string, entities: EntityTarget<unknown>[]): Promise<void> {
  const missingEntities = entities.filter((entity) => !dataSource.hasMetadata(entity));
  if (missingEntities.length) {
    const names = missingEntities.map((entity) => (entity as { name?: string }).name).join(', ');
    throw new Error(`${module} needs the entities ${names} in the TypeORM data source: add ...${list} to its entities (or use autoLoadEntities)`);
  }
  const runner = dataSource.createQueryRunner();
  try {
    for (const entity of entities) {
      const table = dataSource.getMetadata(entity).tablePath;
      if (!(await runner.hasTable(table)))
        throw new Error(`${module} needs the table ${table}, which does not exist: run PERSONAL_ACCESS_TOKENS_MIGRATIONS (migrationsRun: true)`);
    }
  } finally {
    await runner.release();
  }
}
