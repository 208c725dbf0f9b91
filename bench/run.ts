import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { createConnection } from 'mysql2/promise';
import { generateTokenSecret } from '../libs/personal-access-tokens/src/tokens/token-format';
import { TokenHasher } from '../libs/personal-access-tokens/src/tokens/token-hasher';
import { LoadDriver, LoadResult, LoadSpec } from './lib/load';
import { freePort, pinningAvailable, pinProcess, ServerProcess } from './lib/processes';
import { summarizeProfile, ProfileSummary } from './lib/profile';
import {
  CASE_HEALTH,
  CASE_TWO,
  CASE_VERIFY,
  CaseResult,
  computeRatios,
  DatabaseResult,
  PEER_BARE,
  PEER_JWT,
  printReport,
  RunResult,
  STAGE_AUDIT_OFF,
  STAGE_READS_EACH,
  STAGE_BASELINE,
  STAGE_LOG_OFF,
  SweepResult,
  updateReadme,
} from './lib/report';
import { fillerTokens, fillerUsers, openSeeder, SeedToken, SeedUser, Seeder } from './lib/seed';

/**
 * `npm run bench`: builds the service, runs it from the production build in a process of its own
 * on SQLite (and on MariaDB/MySQL when BENCH_DATABASE_URL is set), seeds 1k then 1M tokens
 * straight into the database, drives each case with autocannon from another process, and records
 * req/s, p50 and p99 against the targets of issue 13. The service and both peers are pinned to
 * core 0, this process and the load generator to core 1; the pipeline cases alternate with the
 * peers' in rounds. Everything listens on 127.0.0.1 only.
 */

const ROOT = resolve(__dirname, '..');
const env = process.env;
/** What a run can measure; BENCH_CASES picks some (BENCH_QUICK=1: the pipeline, audit, reads and log, one round). */
const ALL_CASES = ['pipeline', 'audit', 'reads', 'log', 'introspect', 'create', 'cacheoff', '1m', 'profile', 'sweep'] as const;
type CaseKey = (typeof ALL_CASES)[number];
const quick = env.BENCH_QUICK === '1';
function selectedCases(): Set<CaseKey> {
  const given = (env.BENCH_CASES ?? (quick ? 'pipeline,audit,reads,log' : ALL_CASES.join(','))).split(',').map((c) => c.trim());
  const unknown = given.filter((c) => c && !(ALL_CASES as readonly string[]).includes(c));
  if (unknown.length) throw new Error(`BENCH_CASES: unknown ${unknown.join(', ')} (known: ${ALL_CASES.join(', ')})`);
  return new Set(given.filter(Boolean) as CaseKey[]);
}
const settings = {
  duration: Number(env.BENCH_DURATION ?? (quick ? 3 : 6)),
  warmup: Number(env.BENCH_WARMUP ?? (quick ? 1 : 2)),
  connections: Number(env.BENCH_CONNECTIONS ?? 50),
  /** Rounds of the pipeline cases, each alternating the service with the peers. */
  rounds: Number(env.BENCH_ROUNDS ?? (quick ? 1 : 3)),
  cases: selectedCases(),
  largeCount: Number(env.BENCH_TOKENS ?? 1_000_000),
  smallCount: 1000,
  mysqlServer: env.BENCH_DATABASE_URL,
  /** `taskset`: servers on core 0, load on core 1 (BENCH_PIN=0 turns it off). */
  pin: env.BENCH_PIN !== '0' && cpus().length >= 2 && pinningAvailable(),
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
const DAY = 86_400_000;
const SERVER_CPU = 0;
const LOAD_CPU = 1;

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

/**
 * BENCH_BASELINE=<commit>: that commit's service, built apart in bench/.work, measured in the same
 * rounds as this tree's, so that before and after come from one run under the same load.
 */
function buildBaseline(commit: string): { dist: string; source: string } {
  const dir = join(workDir, 'baseline');
  mkdirSync(dir, { recursive: true });
  log(`building the baseline ${commit}`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const archive = execFileSync('git', ['archive', '--format=tar', commit], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // The commit's own build script: since the self-service page landed it builds the page's assets too.
  execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return { dist: join(dir, 'dist'), source: git('rev-parse', '--short', commit) };
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
  /** The switch between counted reads (roll-ups) and one audit event per read (issue 21). */
  auditReads?: string;
  expiryCron?: string;
  verificationCacheTtl?: string;
}

function detectFeatures(dist: string): Features {
  const config = readFileSync(join(dist, 'src/config/load-config.js'), 'utf8');
  const features: Features = {};
  if (config.includes("'AUDIT_ENABLED'")) features.auditSwitch = 'AUDIT_ENABLED';
  if (config.includes("'AUDIT_READS'")) features.auditReads = 'AUDIT_READS';
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

/** Warm-up, then the measured window, with the server's CPU time over that window. */
async function measureServer(driver: LoadDriver, server: ServerProcess, spec: Omit<LoadSpec, 'url' | 'connections' | 'duration'>) {
  const full = { ...spec, url: server.url, connections: settings.connections, duration: settings.duration };
  if (settings.warmup > 0) await driver.run({ ...full, duration: settings.warmup });
  const cpuBefore = server.cpuMs();
  const result = await driver.run(full);
  const cpuAfter = server.cpuMs();
  if (cpuBefore !== undefined && cpuAfter !== undefined && result.total > 0)
    result.cpuUsPerRequest = Math.round(((cpuAfter - cpuBefore) * 1000) / result.total);
  return result;
}

/** The two peers, started once and kept up (idle between their cases) for the whole run. */
interface Peers {
  bare: ServerProcess;
  jwt: ServerProcess;
  jwtTokens: string[];
  stop(): Promise<void>;
}

/** One database: start, seed, rounds of the pipeline cases against the peers, then the 1M stage, profile and the expiry sweep. */
async function benchDatabase(
  target: Target,
  dist: string,
  features: Features,
  driver: LoadDriver,
  peers: Peers,
  baseline?: { dist: string; source: string },
): Promise<DatabaseResult> {
  const wanted = settings.cases;
  const pepper = randomBytes(36).toString('base64url');
  const hasher = new TokenHasher([pepper]);
  const adminPassword = randomBytes(18).toString('base64url');
  const port = await freePort();
  // The default configuration (request log at info), but for what a load from one client would trip.
  const baseEnv: Record<string, string> = {
    ...target.serviceEnv,
    NODE_ENV: 'production',
    TOKEN_PEPPER: pepper,
    ADMIN_EMAIL: 'admin@bench.invalid',
    ADMIN_PASSWORD: adminPassword,
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
  let running = '';
  const start = async (label: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = [], from = dist) => {
    await service?.stop();
    service = await ServerProcess.start({
      name: `service (${target.name}, ${label})`,
      args: [...nodeArgs, join(from, 'src/main.js')],
      env: { ...baseEnv, ...extraEnv },
      port,
      logFile: join(workDir, `${target.name}-service.log`),
      readyPath: '/health',
      cwd: workDir,
      cpu: settings.pin ? SERVER_CPU : undefined,
    });
    running = label;
    return service;
  };
  /** The default configuration, restarted only if something else runs. */
  const startDefault = async () => {
    if (running !== 'default') await start('default');
  };
  const measure = async (
    name: string,
    stage: string,
    spec: Omit<LoadSpec, 'url' | 'connections' | 'duration'>,
    options: { round?: number; server?: ServerProcess } = {},
  ) => {
    const server = options.server ?? (service as ServerProcess);
    const loadAverage = machineLoad();
    const result = await measureServer(driver, server, spec);
    report(target.name, name, options.round === undefined ? stage : `${stage} #${options.round}`, result, loadAverage);
    cases.push({ case: name, stage, loadAverage, ...(options.round !== undefined && { round: options.round }), ...result });
    return result;
  };

  log(`${target.name}: starting the service`);
  await start('default');
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

  const health = { method: 'GET' as const, path: '/health' };
  const caseTwo = { method: 'GET' as const, path: '/user/me/personal-access-tokens/self', bearer: memberSecrets };
  const verifyCase = { method: 'GET' as const, path: '/auth/verify', bearer: memberSecrets };
  const hasVerify = (await api(base, 'GET', '/auth/verify', memberSecrets[0])).status === 200;
  if (!hasVerify) skipped.push(`${CASE_VERIFY}: GET /auth/verify is not in this build (issue 5)`);

  // The configurations compared with the default, each in every round, right after the default's cases.
  const variants: { stage: string; env: Record<string, string> }[] = [];
  if (wanted.has('audit')) {
    if (features.auditSwitch) variants.push({ stage: STAGE_AUDIT_OFF, env: { [features.auditSwitch]: 'false' } });
    else skipped.push('audit on/off: this build has no switch to turn the audit trail off (AUDIT_ENABLED, issue 4)');
  }
  if (wanted.has('reads')) {
    if (features.auditReads) variants.push({ stage: STAGE_READS_EACH, env: { [features.auditReads]: 'each' } });
    else skipped.push('counted / each: this build has no AUDIT_READS switch (issue 21)');
  }
  // warn: no per-request line (the only info-level line a request writes).
  if (wanted.has('log')) variants.push({ stage: STAGE_LOG_OFF, env: { LOG_LEVEL: 'warn' } });
  for (let round = 1; round <= settings.rounds; round++) {
    const rounds = settings.rounds > 1 ? { round } : {};
    if (wanted.has('pipeline')) {
      await startDefault();
      await measure(PEER_BARE, '-', health, { ...rounds, server: peers.bare });
      await measure(CASE_HEALTH, '1k', health, rounds);
      await measure(PEER_JWT, '-', { method: 'GET', path: '/self', bearer: peers.jwtTokens }, { ...rounds, server: peers.jwt });
      await measure(CASE_TWO, '1k', caseTwo, rounds);
      if (hasVerify) await measure(CASE_VERIFY, '1k', verifyCase, rounds);
    }
    if (baseline && wanted.has('pipeline')) {
      await start(STAGE_BASELINE, {}, [], baseline.dist);
      await measure(CASE_HEALTH, `1k, ${STAGE_BASELINE}`, health, rounds);
      await measure(CASE_TWO, `1k, ${STAGE_BASELINE}`, caseTwo, rounds);
      if (hasVerify) await measure(CASE_VERIFY, `1k, ${STAGE_BASELINE}`, verifyCase, rounds);
    }
    for (const variant of variants) {
      if (!wanted.has('pipeline')) {
        await startDefault();
        await measure(CASE_TWO, '1k', caseTwo, rounds);
        if (hasVerify) await measure(CASE_VERIFY, '1k', verifyCase, rounds);
      }
      await start(variant.stage, variant.env);
      await measure(CASE_TWO, `1k, ${variant.stage}`, caseTwo, rounds);
      if (hasVerify) await measure(CASE_VERIFY, `1k, ${variant.stage}`, verifyCase, rounds);
    }
  }

  // Where the time goes: each pipeline case once more under --cpu-prof, the measured window summarized by stage.
  const profiles: Record<string, ProfileSummary> = {};
  if (wanted.has('profile')) {
    const profiledCases: [string, Omit<LoadSpec, 'url' | 'connections' | 'duration'>][] = [
      [CASE_HEALTH, health],
      [CASE_TWO, caseTwo],
      ...(hasVerify ? [[CASE_VERIFY, verifyCase] as [string, typeof verifyCase]] : []),
    ];
    for (const [name, spec] of profiledCases) {
      const profileDir = join(workDir, `${target.name}-profile-${name.replace(/[^a-z0-9]+/gi, '-')}`);
      mkdirSync(profileDir, { recursive: true });
      const profiled = await start('--cpu-prof', {}, [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        '-r',
        join(__dirname, 'lib/exit-after-shutdown.cjs'),
      ]);
      const full = { ...spec, url: profiled.url, connections: settings.connections, duration: settings.duration };
      await driver.run({ ...full, duration: settings.warmup });
      // Start-up and warm-up are left out of the summary: only the measured window counts.
      const skipFirstMs = Date.now() - profiled.startedAt;
      const measured = await driver.run(full);
      await profiled.stop();
      profiles[name] = summarizeProfile(profileDir, { skipFirstMs, requests: measured.total });
      log(`${target.name}: profile of ${name} in ${profiles[name].file}`);
    }
  }

  // Introspection and creation, then (with a baseline) the same on the baseline's service.
  const introspectCase = {
    method: 'POST' as const,
    path: '/personal-access-tokens/introspect',
    bearer: introspectorSecrets,
    bodies: memberSecrets.map((token) => JSON.stringify({ token })),
  };
  const createCase = {
    method: 'POST' as const,
    path: '/user/me/personal-access-tokens',
    bearer: memberSecrets,
    bodies: [JSON.stringify({ name: 'created-[<id>]', scopes: ['personal_access_tokens:read'], expiresIn: '7d' })],
  };
  for (const [stage, from] of [['1k', dist], ...(baseline ? [[`1k, ${STAGE_BASELINE}`, baseline.dist]] : [])] as [string, string][]) {
    if (!wanted.has('introspect') && !wanted.has('create')) break;
    if (from === dist) await startDefault();
    else await start(STAGE_BASELINE, {}, [], from);
    if (wanted.has('introspect')) {
      const introspect = await api<{ active?: boolean }>(base, 'POST', introspectCase.path, introspectorSecrets[0], {
        token: memberSecrets[0],
      });
      if (introspect.status === 200 && introspect.body?.active === true) await measure('3b. introspection', stage, introspectCase);
      else skipped.push(`3b. introspection (${stage}): POST /personal-access-tokens/introspect answered ${introspect.status}`);
    }
    if (wanted.has('create')) await measure('4. token creation', stage, createCase);
  }

  // With the verification cache on, the rotating 100 tokens are verified from memory: the cache-off
  // runs are what the database lookup itself costs, at 1k here and at 1M below.
  const cacheOff = features.verificationCacheTtl ? { [features.verificationCacheTtl]: '0' } : undefined;
  const measureCacheOff = async (stage: string) => {
    if (!cacheOff || !wanted.has('cacheoff')) return;
    await start(`${stage}, cache off`, cacheOff);
    await measure(CASE_TWO, `${stage}, cache off`, caseTwo);
    if (hasVerify) await measure(CASE_VERIFY, `${stage}, cache off`, verifyCase);
  };
  await measureCacheOff('1k');

  const large = ['cacheoff', '1m', 'sweep'].some((c) => wanted.has(c as CaseKey));
  if (large) {
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
  }

  await measureCacheOff('1M');
  let idle: LoadResult | undefined;
  if (wanted.has('1m') || wanted.has('sweep')) {
    await start('1M');
    idle = await measure(CASE_TWO, '1M', caseTwo);
    if (hasVerify && wanted.has('1m')) await measure(CASE_VERIFY, '1M', verifyCase);
  }

  let sweep: SweepResult | undefined;
  if (wanted.has('sweep') && idle) {
    if (features.expiryCron) sweep = await measureSweep(target, seeder, features.expiryCron, start, caseTwo, idle, driver);
    else skipped.push('expiry sweep: this build has no expiry job schedule to trigger (issue 5)');
  }

  await service?.stop();
  await seeder.close();
  return { tokens: seeded, cases, skipped, notes, profiles, sweep };
}

/**
 * Starts the service with the expiry job scheduled every second (the filler tokens were seeded
 * due), and times the sweep while case 2 runs. A sweep slower than the time budget is cut short: the rate
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
  // Every second: the first run starts within a second of the service's start, however long
  // stopping the previous service and booting take (a one-shot schedule 8 s ahead was missed on a
  // loaded machine, and then nothing ran for an hour); a run still going skips the next ticks.
  const service = await start('expiry sweep', { [cronVariable]: '* * * * * *' });
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

function report(database: string, name: string, stage: string, r: LoadResult, loadAverage?: number): void {
  const bad = r.non2xx + r.errors + r.timeouts;
  log(
    `${database.padEnd(7)} ${name.padEnd(28)} ${stage.padEnd(22)} ${String(r.requestsPerSecond).padStart(7)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms` +
      (r.cpuUsPerRequest === undefined ? '' : `  ${r.cpuUsPerRequest} µs CPU/req`) +
      (loadAverage === undefined ? '' : `  load ${loadAverage}`) +
      (bad ? `  (!) ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts` : ''),
  );
}

/** Both peers, pinned like the service: the bare framework, and the stateless JWT design. */
async function startPeers(): Promise<Peers> {
  const secret = randomBytes(48).toString('base64url');
  const key = new TextEncoder().encode(secret);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const jwtTokens = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      new SignJWT({ scope: 'personal_access_tokens:read personal_access_tokens:write', name: `bench-${i}` })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(randomUUID())
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(key),
    ),
  );
  const peer = (name: string, file: string, readyPath: string, readyStatus: number, extraEnv: Record<string, string> = {}) =>
    freePort().then((port) =>
      ServerProcess.start({
        name,
        args: ['-r', 'ts-node/register/transpile-only', join(__dirname, 'peers', file)],
        env: { NODE_ENV: 'production', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...extraEnv },
        port,
        logFile: join(workDir, `${file.replace(/\.ts$/, '')}.log`),
        readyPath,
        readyStatus,
        cwd: ROOT,
        cpu: settings.pin ? SERVER_CPU : undefined,
      }),
    );
  const bare = await peer('peer (bare Nest)', 'bare-nest.ts', '/health', 200);
  const jwt = await peer('peer (jose HS256)', 'jwt-peer.ts', '/self', 401, { BENCH_JWT_SECRET: secret });
  return { bare, jwt, jwtTokens, stop: async () => void (await Promise.all([bare.stop(), jwt.stop()])) };
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(workDir, { recursive: true });
  // This process and the load generator it forks share core 1; the servers get core 0.
  if (settings.pin) pinProcess(process.pid, LOAD_CPU);
  else log('not pinned (BENCH_PIN=0, one core, or no taskset): figures swing by up to 2x between runs');
  const dist = build();
  const baseline = env.BENCH_BASELINE ? buildBaseline(env.BENCH_BASELINE) : undefined;
  const features = detectFeatures(dist);
  const driver = await LoadDriver.start();
  const result: RunResult = {
    date: new Date().toISOString(),
    command: benchCommand(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      // Other work on the machine skews every figure: recorded so that a noisy run can be recognized.
      loadAverageAtStart: machineLoad(),
    },
    source: sourceVersion() + (baseline ? `, against the baseline ${baseline.source}` : ''),
    settings: {
      duration: settings.duration,
      warmup: settings.warmup,
      connections: settings.connections,
      largeCount: settings.largeCount,
      rounds: settings.rounds,
      cases: [...settings.cases],
      pinned: settings.pin ? `service and peers on core ${SERVER_CPU}, load on core ${LOAD_CPU}` : 'no',
    },
    features,
    databases: {},
    ratios: [],
    elapsedSeconds: 0,
  };
  let peers: Peers | undefined;
  try {
    peers = await startPeers();
    const targets = [await sqliteTarget()];
    if (settings.mysqlServer) targets.push(await mysqlTarget(settings.mysqlServer));
    else log('BENCH_DATABASE_URL is not set: MariaDB skipped');
    for (const target of targets) {
      try {
        result.databases[target.name] = await benchDatabase(target, dist, features, driver, peers, baseline);
      } finally {
        await target.drop();
      }
    }
  } finally {
    await peers?.stop();
    driver.stop();
  }
  result.ratios = computeRatios(result);
  result.machine.loadAverageAtEnd = machineLoad();
  result.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  // A partial run (BENCH_QUICK, BENCH_CASES) stays in bench/.work unless BENCH_RECORD=1 asks for it.
  const record = env.BENCH_RECORD === '1' || (!quick && env.BENCH_CASES === undefined);
  const name = `${result.date.slice(0, 19).replace(/:/g, '-')}.json`;
  const file = record ? join(ROOT, 'bench/results', name) : join(workDir, name);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  printReport(result, (line) => process.stdout.write(line + '\n'));
  if (record) updateReadme(join(ROOT, 'bench/README.md'), result, file.slice(ROOT.length + 1));
  log(
    `results in ${file.slice(ROOT.length + 1)}${record ? '; bench/README.md updated' : ' (a partial run: BENCH_RECORD=1 records it)'}; ${result.elapsedSeconds} s in all`,
  );
}

/** The command line as run, the knobs that were set included (a MySQL password left out). */
function benchCommand(): string {
  const knobs = Object.entries(env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${name === 'BENCH_DATABASE_URL' ? String(value).replace(/\/\/[^@]*@/, '//…@') : value}`)
    .sort();
  return [...knobs, 'npm run bench'].join(' ');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
