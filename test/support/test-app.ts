import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Clock, DEFAULT_POLICY, SessionsService, UsersService } from '../../libs/personal-access-tokens/src';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter } from '../../src/app.setup';
import { AppConfig } from '../../src/config/app-config';
import { FakeClock } from './fake-clock';
import { LogScan } from './log-scan';
import { TestDatabase, TestDatabaseKind } from './test-database';

export const ADMIN_EMAIL = 'admin@example.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  ip?: string;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  /** A session token for this user. */
  session: string;
}

/** The real app (same module, adapter and setup as production) on a fresh test database. */
export class TestApp {
  private userCount = 0;

  private constructor(
    readonly app: NestFastifyApplication,
    readonly clock: FakeClock,
    readonly config: AppConfig,
    private readonly database: TestDatabase | undefined,
    private readonly scan: LogScan,
  ) {}

  /** Every log line the app wrote (app, requests and SQL), for secrecy checks. */
  get logs(): string[] {
    return this.scan.lines;
  }
  /** Every secret this app handed out or was given: none may ever appear in `logs` (checked on close). */
  get secrets(): Set<string> {
    return this.scan.secrets;
  }

  /**
   * Starts the app on a fresh database of `source`'s kind (dropped on close), or on an existing
   * `TestDatabase` that the caller owns (several instances sharing one database). `beforeInit`
   * runs between the module's compilation (migrations included) and `app.init()`.
   */
  static async start(
    source: TestDatabaseKind | TestDatabase,
    overrides: Partial<AppConfig> = {},
    clock: FakeClock = new FakeClock(),
    hooks: { beforeInit?: (app: NestFastifyApplication) => Promise<void> } = {},
  ): Promise<TestApp> {
    const owned = 'create' in source ? await source.create() : undefined;
    const database = owned ?? (source as TestDatabase);
    const config: AppConfig = {
      port: 0,
      host: '127.0.0.1',
      dataDir: '/nonexistent',
      database: database.config,
      peppers: [randomBytes(32).toString('hex')],
      tokenPrefix: 'pat_',
      realm: 'personal-access-tokens',
      sessionTtlSeconds: 12 * 3600,
      admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      policy: { ...DEFAULT_POLICY },
      productScopes: [{ resource: 'reports', description: 'Reports', actions: ['read', 'create', 'delete'] }],
      logLevel: 'debug',
      logSql: true,
      trustProxy: false,
      loginRateLimit: { perIp: 1000, failuresPerEmail: 1000, windowSeconds: 60 },
      failedAuthLimit: { limit: 1000, windowSeconds: 300 },
      verificationCacheTtlSeconds: 2,
      bodyLimitBytes: 128 * 1024,
      // Not scheduled: tests run the expiry job on demand with the fake clock.
      expiryJob: { cron: false, batchSize: 500, revokeUnusedAfterDays: null },
      webhook: null,
      introspectionRateLimit: { limit: 1000, windowSeconds: 60 },
      credentialRevocationRateLimit: { limit: 1000, windowSeconds: 60 },
      // Not scheduled: tests purge on demand with the fake clock.
      audit: {
        enabled: true,
        retentionDays: 365,
        retentionCron: false,
        reads: 'counted',
        maxBufferedEvents: 10_000,
        maxCountedKeys: 10_000,
        backpressureTimeoutMs: 2000,
      },
      ...overrides,
    };
    const scan = new LogScan([ADMIN_PASSWORD]);
    const logger = scan.pino(config.logLevel);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
      logger: scan.nestLogger(config.logLevel),
    });
    configureApp(app, logger);
    await hooks.beforeInit?.(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return new TestApp(app, clock, config, owned, scan);
  }

  /**
   * `count` instances of the service on one fresh database of `kind` (the same peppers, each its
   * own clock), as behind a load balancer; `close` closes them all and drops the database.
   */
  static async startInstances(
    kind: TestDatabaseKind,
    count: number,
    overrides: Partial<AppConfig> = {},
  ): Promise<{ apps: TestApp[]; close(): Promise<void> }> {
    const database = await kind.create();
    const peppers = overrides.peppers ?? [randomBytes(32).toString('hex')];
    const apps: TestApp[] = [];
    const close = async () => {
      const closing = await Promise.allSettled(apps.map((app) => app.close()));
      await database.drop();
      const failed = closing.find((result) => result.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    };
    try {
      // One after the other: the first runs the migrations and creates the admin.
      for (let i = 0; i < count; i++) apps.push(await TestApp.start(database, { ...overrides, peppers }));
    } catch (error) {
      await close().catch(() => undefined);
      throw error;
    }
    return { apps, close };
  }

  /** Closes the app and fails if any secret it saw reached a log line. */
  async close(): Promise<void> {
    await this.app.close();
    await this.database?.drop();
    this.scan.check();
  }

  async request<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<Response<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await this.app.inject({
      method: method as 'GET',
      url,
      headers,
      remoteAddress: options.ip ?? '127.0.0.1',
      ...(options.body !== undefined && { payload: options.body as object }),
    });
    const text = response.body;
    let body: unknown = text;
    if (String(response.headers['content-type'] ?? '').includes('application/json') && text) body = JSON.parse(text);
    this.scan.remember(options.body);
    this.scan.remember(body);
    return { status: response.statusCode, body: body as T, headers: response.headers };
  }

  get<T = any>(url: string, options?: RequestOptions) {
    return this.request<T>('GET', url, options);
  }
  post<T = any>(url: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', url, { ...options, body: body ?? {} });
  }
  patch<T = any>(url: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', url, { ...options, body: body ?? {} });
  }
  delete<T = any>(url: string, options?: RequestOptions) {
    return this.request<T>('DELETE', url, options);
  }

  async loginAdmin(): Promise<string> {
    const response = await this.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    if (response.status !== 200) throw new Error(`admin login failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.accessToken;
  }

  /** A new user with this role, created through the service, with a session token. */
  async createUser(role = 'member'): Promise<TestUser> {
    const email = `user${++this.userCount}-${randomBytes(3).toString('hex')}@example.test`;
    const password = `password-${randomBytes(8).toString('hex')}`;
    const user = await this.app.get(UsersService).create({ email, password, displayName: `User ${this.userCount}`, role });
    const session = await this.app.get(SessionsService).issue(user.id);
    this.secrets.add(password).add(session.secret);
    return { id: user.id, email, password, session: session.secret };
  }

  /** Creates a PAT over HTTP as `caller` and returns the whole 201 body (with `token`). */
  async mintToken(caller: string, body: Record<string, unknown> = {}): Promise<any> {
    const response = await this.post(
      '/user/me/personal-access-tokens',
      { name: `token-${randomBytes(4).toString('hex')}`, scopes: ['personal_access_tokens:read'], ...body },
      { token: caller },
    );
    if (response.status !== 201) throw new Error(`mint failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
}
