import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import {
  PERSONAL_ACCESS_TOKENS_ENTITIES,
  PERSONAL_ACCESS_TOKENS_MIGRATIONS,
  personalAccessTokensTables,
} from '../libs/personal-access-tokens/src';
import { ONE_CHAIN } from '../migrations';

/** Migrations after the per-module baselines: one chain plus these is the current schema. */
const AFTER_BASELINES = PERSONAL_ACCESS_TOKENS_MIGRATIONS.filter((m) => Number(/\d{13}$/.exec(m.name)?.[0]) > 1795400012700);
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { tableNames } from './support/tables';
import { TestDatabase, testDatabases } from './support/test-database';

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

type MigrationList = DataSourceOptions['migrations'];

/** Each table with its columns, indices and foreign keys, as the database reports them. */
async function schemaOf(dataSource: DataSource): Promise<Record<string, unknown>> {
  const runner = dataSource.createQueryRunner();
  try {
    const tables = await runner.getTables((await tableNames(dataSource)).filter((name) => name !== 'migrations'));
    const described = tables.map((table) => [
      table.name.replace(/^.*\./, ''),
      {
        columns: table.columns.map((c) => [c.name, c.type, c.length, c.precision, c.isNullable, c.isPrimary, c.default]),
        indices: table.indices.map((i) => [i.name, i.columnNames.join(','), i.isUnique]).sort(),
        foreignKeys: table.foreignKeys
          .map((f) => [f.name, f.columnNames.join(','), f.referencedTableName.replace(/^.*\./, ''), f.onDelete])
          .sort(),
      },
    ]);
    return Object.fromEntries(described.sort(([a], [b]) => String(a).localeCompare(String(b))));
  } finally {
    await runner.release();
  }
}

describe.each(testDatabases())('migrations per module on $name', (database) => {
  const open = async (db: TestDatabase, migrations: MigrationList, entities = PERSONAL_ACCESS_TOKENS_ENTITIES) => {
    const dataSource = new DataSource({ ...buildDataSourceOptions(db.config), entities, migrations });
    await dataSource.initialize();
    return dataSource;
  };
  // On SQLite a file, not memory: these tests close the data source and open the database again.
  const withDatabase = async (body: (db: TestDatabase) => Promise<void>) => {
    const db = await database.create();
    const folder = mkdtempSync(join(tmpdir(), 'pat-migrations-'));
    if (db.config.type === 'sqlite') db.config = { ...db.config, file: join(folder, 'pat.sqlite') };
    try {
      await body(db);
    } finally {
      await db.drop();
      rmSync(folder, { recursive: true, force: true });
    }
  };
  const tablesOf = async (dataSource: DataSource) => Object.keys(await schemaOf(dataSource));

  it('keeps the one chain closed: the migrations every existing database ran, unchanged', () => {
    expect(ONE_CHAIN.map((m) => m.name)).toEqual([
      'InitialSchema1795400000000',
      'AuditEvents1795400001000',
      'ExpiryNoticesAndWebhooks1795400002000',
      'RateLimitCounters1795400003000',
      'TokenNameKey1795400004000',
      'AuditTargetIndex1795400004500',
      'ClusterSafeLocks1795400005000',
      'DropAuditActorIndex1795400005500',
      'UserSessionsCutOff1795400007000',
      'AuditRollups1795400008000',
      'OidcAndTokenExchange1795400012000',
    ]);
  });

  it('give a lean host (its own users, no audit) only the tables of core, tokens and auth, as their entities describe them; and revert', async () => {
    await withDatabase(async (db) => {
      const lean = personalAccessTokensTables('tokens', 'auth');
      const dataSource = await open(db, lean.migrations, lean.entities);
      try {
        expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
          'CoreTables1795400012100',
          'TokensTables1795400012300',
          'AuthTables1795400012400',
          'TokenAddressRulesAndSuspension1795400013000',
        ]);
        expect(await tablesOf(dataSource)).toEqual(
          [
            'job_leases',
            'lock_rows',
            'personal_access_token_addresses',
            'personal_access_token_retired_digests',
            'personal_access_token_scopes',
            'personal_access_tokens',
            'rate_limit_counters',
            'sessions',
            'webhook_deliveries',
          ].sort(),
        );
        expect((await dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);

        for (let i = 0; i < 4; i++) await dataSource.undoLastMigration();
        expect(await tablesOf(dataSource)).toEqual([]);
      } finally {
        await dataSource.destroy();
      }
    });
  });

  it('add a module to a lean database later: its tables, and none of the others', async () => {
    await withDatabase(async (db) => {
      const first = await open(db, personalAccessTokensTables('tokens', 'auth').migrations);
      await first.runMigrations();
      await first.destroy();
      const later = await open(db, personalAccessTokensTables('tokens', 'auth', 'audit').migrations);
      try {
        expect((await later.runMigrations()).map((m) => m.name)).toEqual(['AuditTables1795400012500']);
        expect(await tablesOf(later)).toContain('audit_events');
        expect(await tablesOf(later)).not.toContain('users');
      } finally {
        await later.destroy();
      }
    });
  });

  it('build, module by module, exactly the schema the one chain builds (roles seeded alike)', async () => {
    let oneChain: Record<string, unknown> = {};
    let oneChainRoles: unknown;
    await withDatabase(async (db) => {
      const dataSource = await open(db, [...ONE_CHAIN, ...AFTER_BASELINES]);
      await dataSource.runMigrations();
      oneChain = await schemaOf(dataSource);
      oneChainRoles = await dataSource.query('SELECT id, name, description, privileges, scopes FROM roles ORDER BY name');
      await dataSource.destroy();
    });
    await withDatabase(async (db) => {
      const all = personalAccessTokensTables('users', 'tokens', 'auth', 'audit', 'oidc', 'tokenExchange');
      expect(all.migrations.every((m) => !ONE_CHAIN.includes(m))).toBe(true);
      const dataSource = await open(db, all.migrations);
      try {
        await dataSource.runMigrations();
        expect(await schemaOf(dataSource)).toEqual(oneChain);
        expect(await dataSource.query('SELECT id, name, description, privileges, scopes FROM roles ORDER BY name')).toEqual(oneChainRoles);
      } finally {
        await dataSource.destroy();
      }
    });
  });

  it('upgrade a database the one chain migrated (as main at ed3ef16 left it): no table created twice, data kept, and a revert keeps its tables', async () => {
    let current: Record<string, unknown> = {};
    await withDatabase(async (db) => {
      const reference = await open(db, [...ONE_CHAIN, ...AFTER_BASELINES]);
      await reference.runMigrations();
      current = await schemaOf(reference);
      await reference.destroy();
    });
    await withDatabase(async (db) => {
      const old = await open(db, ONE_CHAIN);
      await old.runMigrations();
      const before = await schemaOf(old);
      await old.query(
        "INSERT INTO personal_access_tokens (id, user_id, name, name_key, digest, status, created_at) VALUES ('00000000-0000-4000-8000-00000000000a', 'u1', 'kept', 'kept', 'd1', 'active', '2026-12-01 00:00:00.000')",
      );
      await old.destroy();

      const upgraded = await open(db, PERSONAL_ACCESS_TOKENS_MIGRATIONS);
      try {
        const applied = (await upgraded.runMigrations()).map((m) => m.name);
        // TypeORM runs them by timestamp: the module lists' later migrations after every baseline.
        const byTimestamp = (a: string, b: string) => Number(a.slice(-13)) - Number(b.slice(-13));
        expect(applied).toEqual(
          PERSONAL_ACCESS_TOKENS_MIGRATIONS.filter((m) => !ONE_CHAIN.includes(m))
            .map((m) => m.name)
            .sort(byTimestamp),
        );
        expect(await schemaOf(upgraded)).toEqual(current);
        expect(await upgraded.query('SELECT name FROM personal_access_tokens')).toEqual([{ name: 'kept' }]);
        expect((await upgraded.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
        // Undoing the baselines leaves the one chain's tables to the one chain's own `down`.
        for (let i = 0; i < applied.length; i++) await upgraded.undoLastMigration();
        expect(await schemaOf(upgraded)).toEqual(before);
      } finally {
        await upgraded.destroy();
      }

      // A host that ran the one chain may switch to a lean list: nothing is created or dropped.
      const lean = await open(db, personalAccessTokensTables('tokens', 'auth').migrations);
      try {
        await lean.runMigrations();
        expect(await schemaOf(lean)).toEqual(current);
      } finally {
        await lean.destroy();
      }
    });
  });
});
