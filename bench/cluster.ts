import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { GaleraCluster } from '../test/cluster/support/galera';
import { LoadDriver, LoadResult, LoadSpec } from './lib/load';
import { freePort, ServerProcess } from './lib/processes';

/**
 * PAT reads on a 3-node Galera cluster of the bench's own (test/cluster/support/galera.ts):
 * requests/s of `GET /user/me/personal-access-tokens/self` with one service instance (on node 1),
 * then with three (one per node, the load split evenly over them), each with the verification
 * cache on (the default, 2 s) and off; then how long a revocation acknowledged by the instance on
 * node 1 takes to be refused by the instance on node 3. Prints a summary and writes
 * `results/cluster-<date>.json`.
 *
 *   npx ts-node --transpile-only bench/cluster.ts
 */
const ROOT = join(__dirname, '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 48);
const TOKENS = 100;
const REVOCATIONS = 20;
const SELF = '/user/me/personal-access-tokens/self';

const log = (message: string) => process.stdout.write(`[cluster bench] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<void> {
  const workDir = join(ROOT, 'bench/.work', `cluster-${Date.now()}`);
  mkdirSync(workDir, { recursive: true });
  log('building');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  // A private copy, so that another build in the tree cannot pull it away mid-run.
  const dist = join(workDir, 'dist');
  cpSync(join(ROOT, 'dist'), dist, { recursive: true });

  log('starting a 3-node Galera cluster');
  const started = Date.now();
  const cluster = await GaleraCluster.start();
  log(`cluster of 3 synced in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const services: ServerProcess[] = [];
  const drivers: LoadDriver[] = [];
  try {
    const databases = await cluster.createDatabase('pat_bench_cluster', 10);
    const adminPassword = randomBytes(18).toString('base64url');
    const pepper = randomBytes(48).toString('base64url');
    const env = (node: number, extra: Record<string, string>) => ({
      DATABASE_URL: (databases[node].config as { url: string }).url,
      NODE_ENV: 'production',
      TOKEN_PEPPER: pepper,
      ADMIN_EMAIL: 'admin@bench.invalid',
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
      PAT_MAX_PER_USER: '100000',
      EXPIRY_JOB_CRON: 'off',
      ...extra,
    });
    const startService = async (node: number, extra: Record<string, string> = {}) =>
      ServerProcess.start({
        name: `service on node ${node + 1}`,
        args: [join(dist, 'src/main.js')],
        env: env(node, extra),
        port: await freePort(),
        logFile: join(workDir, `service-node${node + 1}.log`),
        readyPath: '/health',
        cwd: workDir,
      });
    const stopAll = async () => {
      for (const service of services.splice(0)) await service.stop();
    };

    // Tokens through the API of the first instance (which also ran the migrations).
    services.push(await startService(0));
    const login = await json(`${services[0].url}/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ email: 'admin@bench.invalid', password: adminPassword }),
    });
    const session = login.body.accessToken as string;
    const tokens: string[] = [];
    for (let i = 0; i < TOKENS; i++) {
      const created = await json(`${services[0].url}/user/me/personal-access-tokens`, {
        method: 'POST',
        token: session,
        body: JSON.stringify({ name: `bench-${i}`, scopes: ['personal_access_tokens:read'], expiresIn: '30d' }),
      });
      if (created.status !== 201) throw new Error(`token creation answered ${created.status}`);
      tokens.push(created.body.token);
    }

    for (let i = 0; i < 3; i++) drivers.push(await LoadDriver.start());
    const results: Array<{ case: string; instances: number; cache: string; loadAverage: number } & LoadResult> = [];
    const measure = async (label: string, cache: string) => {
      const perInstance = Math.ceil(CONNECTIONS / services.length);
      const spec = (url: string): LoadSpec => ({
        url,
        method: 'GET',
        path: SELF,
        connections: perInstance,
        duration: DURATION,
        bearer: tokens,
      });
      const loadAverage = loadavg()[0];
      const parts = await Promise.all(services.map((service, i) => drivers[i].measure(spec(service.url), WARMUP)));
      const sum = (pick: (r: LoadResult) => number) => parts.reduce((total, r) => total + pick(r), 0);
      const result: LoadResult = {
        requestsPerSecond: sum((r) => r.requestsPerSecond),
        p50Ms: Math.max(...parts.map((r) => r.p50Ms)),
        p99Ms: Math.max(...parts.map((r) => r.p99Ms)),
        total: sum((r) => r.total),
        non2xx: sum((r) => r.non2xx),
        errors: sum((r) => r.errors),
        timeouts: sum((r) => r.timeouts),
        statusCodes: {},
      };
      for (const part of parts)
        for (const [code, count] of Object.entries(part.statusCodes)) result.statusCodes[code] = (result.statusCodes[code] ?? 0) + count;
      results.push({ case: label, instances: services.length, cache, loadAverage, ...result });
      log(
        `${label}: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
    };

    for (const [cache, ttl] of [
      ['on (2 s)', '2'],
      ['off', '0'],
    ]) {
      await stopAll();
      services.push(await startService(0, { VERIFICATION_CACHE_TTL_SECONDS: ttl }));
      await measure(`1 instance, cache ${cache}`, cache);
      services.push(await startService(1, { VERIFICATION_CACHE_TTL_SECONDS: ttl }));
      services.push(await startService(2, { VERIFICATION_CACHE_TTL_SECONDS: ttl }));
      await measure(`3 instances, cache ${cache}`, cache);
    }

    // Revocation across nodes, cache on: acknowledged by the instance on node 1, then polled on
    // node 3's instance every 5 ms, once with the token in node 3's cache and once without.
    await stopAll();
    services.push(await startService(0), await startService(1), await startService(2));
    const latencies: Record<'cached' | 'uncached', number[]> = { cached: [], uncached: [] };
    const fresh = await json(`${services[0].url}/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ email: 'admin@bench.invalid', password: adminPassword }),
    });
    for (let i = 0; i < REVOCATIONS; i++) {
      const kind = i % 2 === 0 ? 'cached' : 'uncached';
      const created = await json(`${services[0].url}/user/me/personal-access-tokens`, {
        method: 'POST',
        token: fresh.body.accessToken,
        body: JSON.stringify({ name: `revoke-${i}`, scopes: ['personal_access_tokens:read'], expiresIn: '1d' }),
      });
      if (created.status !== 201) throw new Error(`token creation answered ${created.status}`);
      if (kind === 'cached' && (await json(`${services[2].url}${SELF}`, { token: created.body.token })).status !== 200)
        throw new Error('the new token was refused on node 3');
      const revoked = await json(`${services[0].url}/user/me/personal-access-tokens/${created.body.id}/revoke`, {
        method: 'POST',
        token: fresh.body.accessToken,
        body: '{}',
      });
      if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
      const acknowledged = performance.now();
      for (;;) {
        if ((await json(`${services[2].url}${SELF}`, { token: created.body.token })).status === 401) break;
        if (performance.now() - acknowledged > 10_000) throw new Error('node 3 still accepts a token revoked 10 s ago');
        await sleep(5);
      }
      latencies[kind].push(Math.round(performance.now() - acknowledged));
    }
    const revocation = Object.fromEntries(
      Object.entries(latencies).map(([kind, values]) => [
        kind,
        { p50Ms: quantile(values, 0.5), maxMs: Math.max(...values), samples: values },
      ]),
    );
    log(`revocation seen on node 3, token cached there: p50 ${revocation.cached.p50Ms} ms, max ${revocation.cached.maxMs} ms`);
    log(`revocation seen on node 3, token not cached there: p50 ${revocation.uncached.p50Ms} ms, max ${revocation.uncached.maxMs} ms`);

    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs', 'src', 'migrations'], { cwd: ROOT }).toString().trim() !== '';
    const file = join(ROOT, 'bench/results', `cluster-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          commit,
          dirty,
          startedAt: new Date(started).toISOString(),
          settings: { DURATION, WARMUP, CONNECTIONS, TOKENS },
          results,
          revocation,
        },
        null,
        2,
      ) + '\n',
    );
    log(`wrote ${file}`);
  } finally {
    for (const driver of drivers) driver.stop();
    for (const service of services) await service.stop();
    await cluster.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
