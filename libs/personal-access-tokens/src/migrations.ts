import { MigrationInterface } from 'typeorm';
import {
  AUDIT_MIGRATIONS,
  AUTH_MIGRATIONS,
  CORE_MIGRATIONS,
  MIGRATIONS,
  OIDC_MIGRATIONS,
  TOKEN_EXCHANGE_MIGRATIONS,
  TOKENS_MIGRATIONS,
  USERS_MIGRATIONS,
} from '../../../migrations';
import {
  AUDIT_ENTITIES,
  AUTH_ENTITIES,
  CORE_ENTITIES,
  OIDC_ENTITIES,
  TOKEN_EXCHANGE_ENTITIES,
  TOKENS_ENTITIES,
  USERS_ENTITIES,
} from './entities';

/**
 * Every migration of the library, oldest first: the tables of every module. For the standalone
 * service, a host that imports every module, and any database migrated before the library had
 * migrations per module (it keeps this list; see `personalAccessTokensTables` for a lean host).
 */
export const PERSONAL_ACCESS_TOKENS_MIGRATIONS = MIGRATIONS;

type Module = 'users' | 'tokens' | 'auth' | 'audit' | 'oidc' | 'tokenExchange';
type MigrationClass = new () => MigrationInterface;
type EntityClass = new () => object;

const TABLES: Record<Module | 'core', { entities: EntityClass[]; migrations: MigrationClass[]; needs: Module[] }> = {
  core: { entities: CORE_ENTITIES, migrations: CORE_MIGRATIONS, needs: [] },
  users: { entities: USERS_ENTITIES, migrations: USERS_MIGRATIONS, needs: [] },
  tokens: { entities: TOKENS_ENTITIES, migrations: TOKENS_MIGRATIONS, needs: [] },
  auth: { entities: AUTH_ENTITIES, migrations: AUTH_MIGRATIONS, needs: ['tokens'] },
  audit: { entities: AUDIT_ENTITIES, migrations: AUDIT_MIGRATIONS, needs: [] },
  oidc: { entities: OIDC_ENTITIES, migrations: OIDC_MIGRATIONS, needs: ['users', 'auth'] },
  tokenExchange: { entities: TOKEN_EXCHANGE_ENTITIES, migrations: TOKEN_EXCHANGE_MIGRATIONS, needs: ['tokens'] },
};

/**
 * The entities and migrations of the modules a host imports (and of the modules they import
 * themselves, and of the core), for its TypeORM data source: a host with its own users and no
 * audit gets no `users`, `roles` or `audit_events` table. Keys: `users` (UsersModule), `tokens`,
 * `auth`, `audit`, `oidc`, `tokenExchange`. A database migrated with
 * `PERSONAL_ACCESS_TOKENS_MIGRATIONS` may switch to a lean list (the tables it has stay); a database
 * started with lean lists keeps them, adding a module's key when the host imports that module.
 *
 * @example
 * const pat = personalAccessTokensTables('tokens', 'auth');
 * TypeOrmModule.forRoot({ ...connection, entities: [...pat.entities, Account], migrations: [...pat.migrations, ...yours], migrationsRun: true })
 */
export function personalAccessTokensTables(...modules: Module[]): { entities: EntityClass[]; migrations: MigrationClass[] } {
  const wanted = new Set<Module | 'core'>(['core']);
  const add = (module: Module): void => {
    if (!TABLES[module])
      throw new Error(`personalAccessTokensTables: no module "${String(module)}" (one of ${Object.keys(TABLES).join(', ')})`);
    wanted.add(module);
    TABLES[module].needs.forEach(add);
  };
  modules.forEach(add);
  // In the order of TABLES, so that the lists read the same whatever order the host names them in.
  const chosen = (Object.keys(TABLES) as (Module | 'core')[]).filter((module) => wanted.has(module)).map((module) => TABLES[module]);
  return { entities: chosen.flatMap((t) => t.entities), migrations: chosen.flatMap((t) => t.migrations) };
}
