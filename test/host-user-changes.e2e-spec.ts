import { INestApplication, Module } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  PERSONAL_ACCESS_TOKENS_ENTITIES,
  PERSONAL_ACCESS_TOKENS_MIGRATIONS,
  PersonalAccessTokensModule,
  TokensService,
  UserChanges,
} from '../libs/personal-access-tokens/src';
import { Account, AccountsDirectory, CreateHostAccounts1795500000000, ReportsController } from './library/host-app';
import { TestDatabase, testDatabases } from './support/test-database';

/**
 * A host app with its own users and the verification cache on: a change to a user that the host
 * announces with `UserChanges.changed(id)` applies on the very next request, not after the TTL.
 */
describe.each(testDatabases())("UserChanges.changed() for a host's users on $name", (kind) => {
  let database: TestDatabase;
  let app: INestApplication;
  const account: Account = { id: randomUUID(), email: 'changing@host.test', plan: 'pro', enabled: true };

  beforeAll(async () => {
    database = await kind.create();
    const config = database.config;
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          ...(config.type === 'sqlite'
            ? { type: 'better-sqlite3' as const, database: config.file }
            : { type: config.flavor, url: config.url, timezone: 'Z' }),
          entities: [...PERSONAL_ACCESS_TOKENS_ENTITIES, Account],
          migrations: [...PERSONAL_ACCESS_TOKENS_MIGRATIONS, CreateHostAccounts1795500000000],
          migrationsRun: true,
        }),
        TypeOrmModule.forFeature([Account]),
        PersonalAccessTokensModule.forRoot({
          peppers: [randomBytes(32).toString('hex')],
          productScopes: [{ resource: 'reports', description: 'Reports', actions: ['read', 'create'] }],
          // Long enough that only an announced change can end a cached verification during the test.
          verificationCacheTtlSeconds: 3600,
          userDirectory: AccountsDirectory,
          imports: [TypeOrmModule.forFeature([Account])],
        }),
      ],
      controllers: [ReportsController],
    })
    class CachingHostModule {}
    const moduleRef = await Test.createTestingModule({ imports: [CachingHostModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    await app.get(DataSource).getRepository(Account).insert(account);
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const createReport = async (token: string) =>
    (await (app as NestFastifyApplication).inject({ method: 'POST', url: '/reports', headers: { authorization: `Bearer ${token}` } }))
      .statusCode;
  const accounts = () => app.get(DataSource).getRepository(Account);

  it('a downgrade applies once announced, and so does a deactivation', async () => {
    const { token } = await app.get(TokensService).mint(account.id, { name: 'cached', scopes: ['reports:create'], expiresIn: '7d' });
    expect(await createReport(token)).toBe(201);

    await accounts().update({ id: account.id }, { plan: 'free' });
    // Not announced yet: the cached verification still carries the pro plan (the documented TTL).
    expect(await createReport(token)).toBe(201);
    app.get(UserChanges).changed(account.id);
    expect(await createReport(token)).toBe(403);

    await accounts().update({ id: account.id }, { plan: 'pro' });
    app.get(UserChanges).changed(account.id);
    expect(await createReport(token)).toBe(201);
    await accounts().update({ id: account.id }, { enabled: false });
    app.get(UserChanges).changed(account.id);
    expect(await createReport(token)).toBe(401);
  });
});
