import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { testDatabases } from './support/test-database';

describe.each(testDatabases())('migrations on $name', (database) => {
  it('create exactly the schema the entities describe, and revert cleanly', async () => {
    const db = await database.create();
    const dataSource = new DataSource(buildDataSourceOptions(db.config));
    try {
      await dataSource.initialize();
      const applied = await dataSource.runMigrations();
      expect(applied.length).toBeGreaterThan(0);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      const roles = await dataSource.query('SELECT name, privileges FROM roles ORDER BY name');
      expect(roles.map((r: { name: string }) => r.name)).toEqual(['admin', 'member', 'viewer']);
      expect(JSON.parse(roles[1].privileges)).toEqual(['GENERATE_PERSONAL_ACCESS_TOKENS']);

      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration();
      const runner = dataSource.createQueryRunner();
      for (const { tableName } of dataSource.entityMetadatas) expect(await runner.hasTable(tableName)).toBe(false);
      await runner.release();
      expect(await dataSource.runMigrations()).toHaveLength(applied.length);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    }
  });
});
