import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { createConnection } from 'mysql2/promise';
import { generateTokenSecret } from '../libs/personal-access-tokens/src/tokens/token-format';
import { TokenHasher } from '../libs/personal-access-tokens/src/tokens/token-hasher';
import { LoadDriver, LoadResult, LoadSpec } from './lib/load';
import { freePort, ServerProcess } from './lib/processes';
import { summarizeProfile, ProfileSummary } from './lib/profile';
import { CaseResult, computeRatios, DatabaseResult, printReport, RunResult, SweepResult, updateReadme } from './lib/report';
import { fillerTokens, fillerUsers, openSeeder, SeedToken, SeedUser, Seeder } from './lib/seed';

/**
 * `npm run bench`: builds the service, runs it from the production build in a process of its own
 * on SQLite (and on MariaDB/MySQL when BENCH_DATABASE_URL is set), seeds 1k then 1M tokens
 * straight into the database, drives each case with autocannon from another process, and records
 * req/s, p50 and p99 against the targets of issue 7. Everything listens on 127.0.0.1 only.
 */

const ROOT = resolve(__dirname, '..');
const env = process.env;
const settings = {
  duration: Number(env.BENCH_DURATION ?? 6),
  warmup: Number(env.BENCH_WARMUP ?? 2),
  connections: Number(env.BENCH_CONNECTIONS ?? 50),
  largeCount: Number(env.BENCH_TOKENS ?? 1_000_000),
  smallCount: 1000,
  profile: env.BENCH_PROFILE !== '0',
  mysqlServer: env.BENCH_DATABASE_URL,
  /** How long the expiry sweep is watched at most. */
  sweepSeconds: Number(env.BENCH_SWEEP_SECONDS ?? 40),
  /** EXPIRY_JOB_BATCH_SIZE for the sweep; unset keeps the service's default. */
  expiryBatchSize: env.BENCH_EXPIRY_BATCH_SIZE ? Number(env.BENCH_EXPIRY_BATCH_SIZE) : undefined,
};
const LIVE_USERS = 10;
const LIVE_TOKENS_PER_USER = 10;
const FILLER_USERS = 1000;
const SEED_BATCH = 100_000;
const TOKEN_PREFIX = 'pat_';
const CASE_TWO = '2. PAT read (/self)';
const CASE_VERIFY = '3a. gateway verify';
const DAY = 86_400_000;

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const workDir = join(ROOT, 'bench/.work', stamp);

/** The 1-minute load average: on 2 shared cores, anything else running shows in every figure. */
const machineLoad = () => Math.round(loadavg()[0] * 100) / 100;

function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function build(): string {
  log('npm run build');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`${output.stdout?.toString() ?? ''}${output.stderr?.toString() ?? ''}`);
    throw new Error('npm run build failed', { cause: error });
  }
  // A private copy: other builds in this tree (deleteOutDir) must not pull dist/ from under the run.
  const dist = join(workDir, 'dist');
  cpSync(join(ROOT, 'dist'), dist, { recursive: true });
  return dist;
}

/** The commit measured, and whether the service's sources had uncommitted changes (others' work in progress). */
function sourceVersion(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'src', 'libs', 'migrations') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in src/libs/migrations' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** What the build supports, read from the compiled config and routes, so that missing pieces are skipped with a reason. */
interface Features {
  auditSwitch?: string;
  expiryCron?: string;
  verificationCacheTtl?: string;
}

function detectFeatures(dist: string): Features {
  const config = readFileSync(join(dist, 'src/config/load-config.js'), 'utf8');
  const features: Features = {};
  if (config.includes("'AUDIT_ENABLED'")) features.auditSwitch = 'AUDIT_ENABLED';
  const cron = /'(EXPIRY_[A-Z_]*(?:CRON|SCHEDULE)[A-Z_]*)'/.exec(config);
  if (cron) features.expiryCron = cron[1];
  if (config.includes("'VERIFICATION_CACHE_TTL_SECONDS'")) features.verificationCacheTtl = 'VERIFICATION_CACHE_TTL_SECONDS';
  return features;
}

interface Target {
  name: 'sqlite' | 'mariadb';
  serviceEnv: Record<string, string>;
  seeder(): Promise<Seeder>;
  drop(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const dataDir = join(workDir, 'sqlite');
  mkdirSync(dataDir, { recursive: true });
  return {
    name: 'sqlite',
    serviceEnv: { DATA_DIR: dataDir },
    seeder: () => openSeeder({ sqliteFile: join(dataDir, 'pat-service.sqlite') }),
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function mysqlTarget(serverUrl: string): Promise<Target> {
  const url = new URL(serverUrl);
  const database = `pat_bench_${Date.now().toString(36)}`;
  const admin = () =>
    createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
  const connection = await admin();
  const [[{ version }]] = (await connection.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();
  url.pathname = `/${database}`;
  const scheme = /mariadb/i.test(version) ? 'mariadb:' : 'mysql:';
  return {
    name: 'mariadb',
    serviceEnv: { DATABASE_URL: url.toString().replace(/^mysql:/, scheme) },
    seeder: () => openSeeder({ mysqlUrl: url.toString() }),
    async drop() {
      const c = await admin();
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await c.end();
    },
  };
}

async function api<T>(base: string, method: string, path: string, bearer?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(base + path, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function expectOk<T>(what: string, call: Promise<{ status: number; body: T }>): Promise<T> {
  const { status, body } = await call;
  if (status >= 300) throw new Error(`${what} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** One database: start, seed, measure every case, then the 1M stage, audit off, profile and the expiry sweep. */
async function benchDatabase(target: Target, dist: string, features: Features, driver: LoadDriver): Promise<DatabaseResult> {
  const pepper = randomBytes(36).toString('base64url');
  const hasher = new TokenHasher([pepper]);
  const adminPassword = randomBytes(18).toString('base64url');
  const port = await freePort();
  const baseEnv: Record<string, string> = {
    ...target.serviceEnv,
    NODE_ENV: 'production',
    TOKEN_PEPPER: pepper,
    ADMIN_EMAIL: 'admin@bench.invalid',
    ADMIN_PASSWORD: adminPassword,
    LOG_LEVEL: 'warn',
    PAT_MAX_PER_USER: '100000',
    // The load is one client IP: the per-minute introspection limit would turn the case into 429s.
    INTROSPECTION_RATE_LIMIT_PER_MINUTE: '1000000',
    // The expiry job only runs when the sweep is measured.
    ...(features.expiryCron ? { [features.expiryCron]: 'off' } : {}),
    ...(settings.expiryBatchSize ? { EXPIRY_JOB_BATCH_SIZE: String(settings.expiryBatchSize) } : {}),
  };
  const cases: CaseResult[] = [];
  const skipped: string[] = [];
  const notes: string[] = [];
  let service: ServerProcess | undefined;
  const start = async (label: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []) => {
    await service?.stop();
    service = await ServerProcess.start({
      name: `service (${target.name}, ${label})`,
      args: [...nodeArgs, join(dist, 'src/main.js')],
      env: { ...baseEnv, ...extraEnv },
      port,
      logFile: join(workDir, `${target.name}-service.log`),
      readyPath: '/health',
      cwd: workDir,
    });
    return service;
  };
  const measure = async (
    name: string,
    stage: string,
    spec: Omit<LoadSpec, 'url' | 'connections' | 'duration'>,
    duration = settings.duration,
  ) => {
    const url = (service as ServerProcess).url;
    const loadAverage = machineLoad();
    const result = await driver.measure({ ...spec, url, connections: settings.connections, duration }, settings.warmup);
    report(target.name, name, stage, result);
    cases.push({ case: name, stage, loadAverage, ...result });
    return result;
  };

  log(`${target.name}: starting the service`);
  await start('1k');
  const base = (service as ServerProcess).url;
  const session = await expectOk<{ accessToken: string }>(
    'login',
    api(base, 'POST', '/auth/login', undefined, { email: 'admin@bench.invalid', password: adminPassword }),
  );
  const adminUser = await expectOk<{ id: string }>('GET /user/me', api(base, 'GET', '/user/me', session.accessToken));
  const liveUsers: SeedUser[] = [];
  for (let i = 0; i < LIVE_USERS; i++) {
    const email = `member-${i}@bench.invalid`;
    const user = await expectOk<{ id: string }>(
      'POST /admin/users',
      api(base, 'POST', '/admin/users', session.accessToken, {
        email,
        password: randomBytes(18).toString('base64url'),
        displayName: `Member ${i}`,
        role: 'member',
      }),
    );
    liveUsers.push({ id: user.id, email });
  }

  // Live tokens: secrets in the service's own format, digests with its own HMAC scheme and pepper.
  const now = new Date();
  const liveExpiry = new Date(now.getTime() + 30 * DAY);
  const live: { secret: string; token: SeedToken }[] = [];
  const issue = (userId: string, name: string, scopes: string[]) => {
    const secret = generateTokenSecret(TOKEN_PREFIX);
    const token = { id: randomUUID(), userId, name, digest: hasher.digest(secret), expiresAt: liveExpiry, scopes };
    live.push({ secret, token });
    return secret;
  };
  const memberSecrets = liveUsers.flatMap((user, u) =>
    Array.from({ length: LIVE_TOKENS_PER_USER }, (_, i) =>
      issue(user.id, `bench-${u}-${i}`, ['personal_access_tokens:read', 'personal_access_tokens:write']),
    ),
  );
  const introspectorSecrets = Array.from({ length: 5 }, (_, i) => issue(adminUser.id, `introspector-${i}`, ['tokens:introspect']));

  const seeder = await target.seeder();
  const filler = fillerUsers(FILLER_USERS);
  // Filler tokens are due from the start ("1M tokens made due" without a million-row UPDATE):
  // the expiry job is off until the sweep, and nothing else reads their expiry.
  const fillerExpiry = new Date(now.getTime() - DAY);
  await seeder.insertUsers(filler, now);
  await seeder.insertTokens(
    live.map((l) => l.token),
    now,
  );
  // Filler tokens are named filler-0, filler-1, ...: the first ones make up 1k with the live ones.
  const smallFiller = settings.smallCount - live.length;
  await seeder.insertTokens(fillerTokens(0, smallFiller, filler, fillerExpiry), now);
  let seeded = await seeder.countTokens();
  log(`${target.name}: ${seeded} tokens seeded (${live.length} live)`);

  const self = await api<{ id: string }>(base, 'GET', '/user/me/personal-access-tokens/self', memberSecrets[0]);
  if (self.status !== 200) throw new Error(`a seeded token was refused (${self.status}): ${JSON.stringify(self.body)}`);

  const caseTwo = { method: 'GET' as const, path: '/user/me/personal-access-tokens/self', bearer: memberSecrets };
  const verifyCase = { method: 'GET' as const, path: '/auth/verify', bearer: memberSecrets };
  const hasVerify = (await api(base, 'GET', '/auth/verify', memberSecrets[0])).status === 200;
  await measure('1. GET /health', '1k', { method: 'GET', path: '/health' });
  await measure(CASE_TWO, '1k', caseTwo);
  if (hasVerify) await measure(CASE_VERIFY, '1k', verifyCase);
  else skipped.push(`${CASE_VERIFY}: GET /auth/verify is not in this build (issue 5)`);
  const introspect = await api<{ active?: boolean }>(base, 'POST', '/personal-access-tokens/introspect', introspectorSecrets[0], {
    token: memberSecrets[0],
  });
  if (introspect.status === 200 && introspect.body?.active === true) {
    await measure('3b. introspection', '1k', {
      method: 'POST',
      path: '/personal-access-tokens/introspect',
      bearer: introspectorSecrets,
      bodies: memberSecrets.map((token) => JSON.stringify({ token })),
    });
  } else {
    skipped.push(`3b. introspection: POST /personal-access-tokens/introspect answered ${introspect.status} (issue 5)`);
  }
  await measure('4. token creation', '1k', {
    method: 'POST',
    path: '/user/me/personal-access-tokens',
    bearer: memberSecrets,
    bodies: [JSON.stringify({ name: 'created-[<id>]', scopes: ['personal_access_tokens:read'], expiresIn: '7d' })],
  });

  // With the verification cache on, the rotating 100 tokens are verified from memory: the cache-off
  // runs are what the database lookup itself costs, at 1k here and at 1M below.
  const cacheOff = features.verificationCacheTtl ? { [features.verificationCacheTtl]: '0' } : undefined;
  const measureCacheOff = async (stage: string) => {
    if (!cacheOff) return;
    await start(`${stage}, cache off`, cacheOff);
    await measure(CASE_TWO, `${stage}, cache off`, caseTwo);
    if (hasVerify) await measure(CASE_VERIFY, `${stage}, cache off`, verifyCase);
  };
  await measureCacheOff('1k');

  log(`${target.name}: seeding up to ${settings.largeCount.toLocaleString('en')} tokens`);
  const seedStarted = Date.now();
  const largeFiller = settings.largeCount - live.length;
  for (let from = smallFiller; from < largeFiller; from += SEED_BATCH) {
    await seeder.insertTokens(fillerTokens(from, Math.min(from + SEED_BATCH, largeFiller), filler, fillerExpiry), now);
  }
  seeded = await seeder.countTokens();
  notes.push(`seeded ${seeded.toLocaleString('en')} tokens in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
  notes.push(await seeder.storage());
  log(`${target.name}: ${seeded} tokens (${((Date.now() - seedStarted) / 1000).toFixed(1)} s)`);

  await measureCacheOff('1M');
  await start('1M');
  const idle = await measure(CASE_TWO, '1M', caseTwo);
  if (hasVerify) await measure(CASE_VERIFY, '1M', verifyCase);

  if (features.auditSwitch) {
    await start('1M, audit off', { [features.auditSwitch]: 'false' });
    await measure(CASE_TWO, '1M, audit off', caseTwo);
  } else skipped.push('audit on/off: this build has no switch to turn the audit trail off (AUDIT_ENABLED, issue 4)');

  let profile: ProfileSummary | undefined;
  if (settings.profile) {
    const profileDir = join(workDir, `${target.name}-profile`);
    mkdirSync(profileDir, { recursive: true });
    const profiled = await start('1M, --cpu-prof', {}, [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      '-r',
      join(__dirname, 'lib/exit-after-shutdown.cjs'),
    ]);
    const spec = { ...caseTwo, url: base, connections: settings.connections, duration: settings.warmup };
    await driver.run(spec);
    // Start-up and warm-up are left out of the summary: only the measured window counts.
    const skipFirstMs = Date.now() - profiled.startedAt;
    await driver.run({ ...spec, duration: settings.duration });
    await profiled.stop();
    profile = summarizeProfile(profileDir, { skipFirstMs });
    log(`${target.name}: profile of case 2 in ${profile.file}`);
  }

  let sweep: SweepResult | undefined;
  if (features.expiryCron) {
    sweep = await measureSweep(target, seeder, features.expiryCron, start, caseTwo, idle, driver);
  } else skipped.push('expiry sweep: this build has no expiry job schedule to trigger (issue 5)');

  await service?.stop();
  await seeder.close();
  return { tokens: seeded, cases, skipped, notes, profile, sweep };
}

/**
 * Starts the service with the expiry job due to fire a few seconds later (the filler tokens were
 * seeded due), and times the sweep while case 2 runs. A sweep slower than the time budget is cut short: the rate
 * is then rows done / time watched, which is what the target is about.
 */
async function measureSweep(
  target: Target,
  seeder: Seeder,
  cronVariable: string,
  start: (label: string, extraEnv?: Record<string, string>) => Promise<ServerProcess>,
  caseTwo: Omit<LoadSpec, 'url' | 'connections' | 'duration'>,
  idle: LoadResult,
  driver: LoadDriver,
): Promise<SweepResult> {
  const due = await seeder.countDue(new Date());
  log(`${target.name}: ${due} tokens due; starting the expiry job`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Watched from before the service is up: the first run may start while it is still booting.
  let sweepStart: number | undefined;
  let gaveUp = false;
  const watchStart = (async () => {
    while (sweepStart === undefined && !gaveUp) {
      if (await seeder.anyExpired()) sweepStart = Date.now();
      else await sleep(20);
    }
  })();
  // One run at a known second, late enough for the service to be up and idle when it starts.
  const at = new Date(Date.now() + 8000);
  const service = await start('expiry sweep', { [cronVariable]: `${at.getUTCSeconds()} ${at.getUTCMinutes()} * * * *` });
  const startedAt = Date.now();
  while (sweepStart === undefined && Date.now() - startedAt < 40_000) await sleep(20);
  gaveUp = true;
  await watchStart;
  if (sweepStart === undefined) return { due, error: 'the expiry job did not start within 40 s' };
  const load = driver.run({ ...caseTwo, url: service.url, connections: settings.connections, duration: settings.duration });
  let sweepEnd: number | undefined;
  while (sweepEnd === undefined && Date.now() - sweepStart < settings.sweepSeconds * 1000) {
    if (!(await seeder.anyDue(new Date()))) sweepEnd = Date.now();
    else await sleep(50);
  }
  const watched = ((sweepEnd ?? Date.now()) - sweepStart) / 1000;
  const remaining = sweepEnd === undefined ? await seeder.countDue(new Date()) : 0;
  const during = await load;
  report(target.name, CASE_TWO, 'during sweep', during);
  const done = due - remaining;
  return {
    due,
    done,
    seconds: Math.round(watched * 10) / 10,
    rowsPerSecond: Math.round(done / watched),
    finished: sweepEnd !== undefined,
    during,
    idleP99Ms: idle.p99Ms,
    batchSize: settings.expiryBatchSize,
  };
}

function report(database: string, name: string, stage: string, r: LoadResult): void {
  const bad = r.non2xx + r.errors + r.timeouts;
  log(
    `${database.padEnd(7)} ${name.padEnd(24)} ${stage.padEnd(14)} ${String(r.requestsPerSecond).padStart(7)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms` +
      (bad ? `  (!) ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts` : ''),
  );
}

async function benchPeer(driver: LoadDriver): Promise<CaseResult> {
  const secret = randomBytes(48).toString('base64url');
  const key = new TextEncoder().encode(secret);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const tokens = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      new SignJWT({ scope: 'personal_access_tokens:read personal_access_tokens:write', name: `bench-${i}` })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(randomUUID())
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(key),
    ),
  );
  const peer = await ServerProcess.start({
    name: 'peer (jose HS256)',
    args: ['-r', 'ts-node/register/transpile-only', join(__dirname, 'peers/jwt-peer.ts')],
    env: { BENCH_JWT_SECRET: secret, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    port: await freePort(),
    logFile: join(workDir, 'peer.log'),
    readyPath: '/claims',
    readyStatus: 401,
    cwd: ROOT,
  });
  try {
    const loadAverage = machineLoad();
    const result = await driver.measure(
      { url: peer.url, method: 'GET', path: '/claims', bearer: tokens, connections: settings.connections, duration: settings.duration },
      settings.warmup,
    );
    report('peer', '5. peer JWT (jose)', '-', result);
    return { case: '5. peer JWT (jose)', stage: '-', loadAverage, ...result };
  } finally {
    await peer.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(workDir, { recursive: true });
  const dist = build();
  const features = detectFeatures(dist);
  const driver = await LoadDriver.start();
  const result: RunResult = {
    date: new Date().toISOString(),
    command: 'npm run bench' + (settings.mysqlServer ? ` (BENCH_DATABASE_URL=${settings.mysqlServer.replace(/\/\/[^@]*@/, '//…@')})` : ''),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      // Other work on the machine skews every figure: recorded so that a noisy run can be recognized.
      loadAverageAtStart: machineLoad(),
    },
    source: sourceVersion(),
    settings: { duration: settings.duration, warmup: settings.warmup, connections: settings.connections, largeCount: settings.largeCount },
    features,
    peer: undefined,
    databases: {},
    ratios: [],
    elapsedSeconds: 0,
  };
  try {
    result.peer = await benchPeer(driver);
    const targets = [await sqliteTarget()];
    if (settings.mysqlServer) targets.push(await mysqlTarget(settings.mysqlServer));
    else log('BENCH_DATABASE_URL is not set: MariaDB skipped');
    for (const target of targets) {
      try {
        result.databases[target.name] = await benchDatabase(target, dist, features, driver);
      } finally {
        await target.drop();
      }
    }
  } finally {
    driver.stop();
  }
  result.ratios = computeRatios(result);
  result.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  const file = join(ROOT, 'bench/results', `${result.date.slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  printReport(result, (line) => process.stdout.write(line + '\n'));
  updateReadme(join(ROOT, 'bench/README.md'), result, file.slice(ROOT.length + 1));
  log(`results in ${file.slice(ROOT.length + 1)}; bench/README.md updated; ${result.elapsedSeconds} s in all`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
