import { Controller, Get, Injectable, Module, Param, Post, Type } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Column, Entity, MigrationInterface, PrimaryColumn, QueryRunner, Repository, Table, Logger as TypeOrmLogger } from 'typeorm';
import {
  AuditAction,
  AuditModule,
  Auth,
  AuthModule,
  DirectoryUser,
  PERSONAL_ACCESS_TOKENS_ENTITIES,
  PERSONAL_ACCESS_TOKENS_MIGRATIONS,
  PersonalAccessTokensCoreModule,
  PersonalAccessTokensModule,
  PersonalAccessTokensRoutesModule,
  personalAccessTokensTables,
  Principal,
  Public,
  RequireScopes,
  ScopesModule,
  TokensModule,
  UserDirectory,
} from '../../libs/personal-access-tokens/src';
import { DatabaseConfig } from '../../src/config/app-config';

/** A host app's own users, in its own table: the library never sees this entity. */
@Entity({ name: 'host_accounts' })
export class Account {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  email: string;

  @Column({ type: 'varchar', length: 20 })
  plan: 'pro' | 'free';

  @Column({ type: 'boolean' })
  enabled: boolean;
}

export class CreateHostAccounts1795500000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'host_accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'email', type: 'varchar', length: '200' },
          { name: 'plan', type: 'varchar', length: '20' },
          { name: 'enabled', type: 'boolean' },
        ],
      }),
    );
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('host_accounts');
  }
}

/** The host's user directory: pro accounts may read and create reports, free ones only read. */
@Injectable()
export class AccountsDirectory implements UserDirectory {
  constructor(@InjectRepository(Account) private readonly accounts: Repository<Account>) {}

  async findById(id: string): Promise<DirectoryUser | null> {
    const account = await this.accounts.findOne({ where: { id } });
    if (!account) return null;
    return {
      id: account.id,
      email: account.email,
      displayName: account.email,
      active: account.enabled,
      role: account.plan,
      privileges: ['GENERATE_PERSONAL_ACCESS_TOKENS'],
      scopes: account.plan === 'pro' ? ['reports:*', 'personal_access_tokens:*', 'user:read', 'audit:read'] : ['reports:read'],
    };
  }
}

@Controller('reports')
export class ReportsController {
  @Get('ping')
  @Public()
  ping() {
    return { pong: true };
  }

  @Get()
  @RequireScopes('reports:read')
  list(@Auth() principal: Principal) {
    return { owner: principal.user.email, reports: ['q1', 'q2'] };
  }

  @Get(':id')
  @RequireScopes('reports:read', { entityParam: 'id' })
  get(@Param('id') id: string) {
    return { id };
  }

  @Post()
  @AuditAction('report.create', { target: null })
  @RequireScopes('reports:create')
  create() {
    return { created: true };
  }
}

/** Every SQL statement the host app's data source runs. */
export class QueryLog implements TypeOrmLogger {
  readonly queries: string[] = [];
  logQuery(query: string): void {
    this.queries.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

function connectionOf(database: DatabaseConfig) {
  return database.type === 'sqlite'
    ? { type: 'better-sqlite3' as const, database: database.file }
    : { type: database.flavor, url: database.url, timezone: 'Z' };
}

/** The host app; `configuredAsync` takes the library's options from a factory (forRootAsync). */
export function hostAppModule(database: DatabaseConfig, queryLog: QueryLog, configuredAsync = false, routes?: boolean): Type<unknown> {
  const options = {
    peppers: [randomBytes(32).toString('hex')],
    productScopes: [{ resource: 'reports', description: 'Reports', actions: ['read', 'create'] }],
    // This host asks for its own routes in the trail too (by default only `@AuditAction` ones are).
    audit: { allRoutes: true },
  };
  const connection = connectionOf(database);
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...connection,
        entities: [...PERSONAL_ACCESS_TOKENS_ENTITIES, Account],
        migrations: [...PERSONAL_ACCESS_TOKENS_MIGRATIONS, CreateHostAccounts1795500000000],
        migrationsRun: true,
        logging: true,
        logger: queryLog,
      }),
      TypeOrmModule.forFeature([Account]),
      configuredAsync
        ? PersonalAccessTokensModule.forRootAsync({
            useFactory: async () => options,
            userDirectory: AccountsDirectory,
            imports: [TypeOrmModule.forFeature([Account])],
          })
        : PersonalAccessTokensModule.forRoot({
            ...options,
            userDirectory: AccountsDirectory,
            imports: [TypeOrmModule.forFeature([Account])],
            routes,
          }),
    ],
    controllers: [ReportsController],
  })
  class HostAppModule {}
  return HostAppModule;
}

/**
 * A host app that composes the library's modules itself, with its own users: Scopes, Tokens and
 * Auth, and with `audit` the AuditModule too. Its data source knows only those modules' entities.
 */
export function composedHostAppModule(
  database: DatabaseConfig,
  queryLog: QueryLog,
  audit: boolean,
  configuredAsync = false,
  dataSource: { entities?: Array<abstract new () => unknown>; migrations?: unknown[]; autoLoadEntities?: boolean } = {},
  allRoutes = true,
): Type<unknown> {
  const options = {
    peppers: [randomBytes(32).toString('hex')],
    productScopes: [{ resource: 'reports', description: 'Reports', actions: ['read', 'create'] }],
    expiry: { cron: false as const },
    audit: { retentionCron: false as const, allRoutes },
  };
  const directory = { userDirectory: AccountsDirectory, imports: [TypeOrmModule.forFeature([Account])] };
  // Only the tables of the modules it imports: no users, roles or (without audit) audit_events.
  const tables = personalAccessTokensTables('tokens', 'auth', ...(audit ? (['audit'] as const) : []));
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...connectionOf(database),
        entities: dataSource.entities ?? [...tables.entities, Account],
        migrations: (dataSource.migrations ?? [...tables.migrations, CreateHostAccounts1795500000000]) as never,
        autoLoadEntities: dataSource.autoLoadEntities,
        migrationsRun: true,
        logging: true,
        logger: queryLog,
      }),
      TypeOrmModule.forFeature([Account]),
      configuredAsync
        ? PersonalAccessTokensCoreModule.forRootAsync({ useFactory: async () => options, ...directory })
        : PersonalAccessTokensCoreModule.forRoot({ ...options, ...directory }),
      // Before AuthModule, so that its route guard runs first.
      ...(audit ? [AuditModule] : []),
      ScopesModule,
      TokensModule,
      AuthModule,
      // Only the routes of what it composed: its own tokens, /user/me and, with audit, its trail.
      PersonalAccessTokensRoutesModule.register({ routes: { tokens: true, me: true, audit: true }, audit }),
    ],
    controllers: [ReportsController],
  })
  class ComposedHostAppModule {}
  return ComposedHostAppModule;
}
