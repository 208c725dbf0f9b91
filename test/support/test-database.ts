import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { DatabaseConfig } from '../../src/config/app-config';

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

export interface TestDatabaseKind {
  name: 'sqlite' | 'mariadb';
  create(): Promise<TestDatabase>;
}

const sqlite: TestDatabaseKind = {
  name: 'sqlite',
  create: async () => ({ config: { type: 'sqlite', file: ':memory:' }, drop: async () => undefined }),
};

/** A fresh database per call on the server of TEST_DATABASE_URL, dropped afterwards. */
function mariadb(serverUrl: string): TestDatabaseKind {
  return {
    name: 'mariadb',
    async create() {
      const url = new URL(serverUrl);
      const name = `pat_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
      const admin = () =>
        createConnection({
          host: url.hostname,
          port: Number(url.port || 3306),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
        });
      const connection = await admin();
      const [[{ version }]] = (await connection.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
      await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await connection.end();
      url.pathname = `/${name}`;
      return {
        config: { type: 'mysql', flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', url: url.toString(), poolSize: 10 },
        async drop() {
          const c = await admin();
          await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
          await c.end();
        },
      };
    },
  };
}

/** SQLite always; MariaDB too when TEST_DATABASE_URL (mysql://...) is set. */
export function testDatabases(): TestDatabaseKind[] {
  const url = process.env.TEST_DATABASE_URL;
  return url ? [sqlite, mariadb(url)] : [sqlite];
}
