import Database from 'better-sqlite3';
import { ChildProcess, execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './support/wait-for';

const ROOT = resolve(__dirname, '..');
const MAIN = join(ROOT, 'dist/src/main.js');
const ADMIN_PASSWORD = 'shutdown test password';

/** The newest modification time of the files under `path` (a file or a folder), 0 if absent. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path)
    .filter((name) => name !== 'node_modules' && name !== 'dist')
    .reduce((latest, name) => Math.max(latest, newest(join(path, name))), 0);
}

/** Whether dist/ is missing or older than a source it is built from: then this test would run yesterday's service. */
function distIsStale(): boolean {
  const built = Math.min(newest(MAIN), newest(join(ROOT, 'dist/libs/personal-access-tokens/src/page/public')));
  const sources = ['src', 'libs/personal-access-tokens/src', 'migrations', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
  return built === 0 || sources.some((source) => newest(join(ROOT, source)) > built);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Ready, or exited; a start-up on a loaded machine takes a while, so the deadline is generous. */
async function waitUntilReady(base: string, child: ChildProcess): Promise<void> {
  await waitFor(
    'the service to answer /health/ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
      return fetch(`${base}/health/ready`).then(
        (response) => response.ok,
        () => false, // not listening yet
      );
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/**
 * The real service in its own process on SQLite: mutations and reads under load, then SIGTERM.
 * Every mutation the client saw acknowledged (2xx) must have its event in the database, exactly
 * once; reads are counted (roll-ups, flushed on shutdown), and their counts must add up to the
 * reads answered 2xx: none lost, none twice.
 */
describe('audit trail across SIGTERM under load', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    // CI builds first; a checkout without dist, or with sources edited since, builds here.
    if (distIsStale()) execSync('npm run build', { cwd: ROOT, stdio: 'ignore' });
    dataDir = mkdtempSync(join(tmpdir(), 'pat-audit-sigterm-'));
  }, 120_000);

  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_EMAIL: 'admin@example.test',
        ADMIN_PASSWORD,
        PAT_MAX_PER_USER: '100000',
        LOG_LEVEL: 'warn',
        EXPIRY_JOB_CRON: 'off',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    await waitUntilReady(base, proc);

    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.test', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };

    const acknowledged = { mutations: [] as string[], reads: [] as string[] };
    let stopped = false;
    const send = async (method: string, path: string, body?: unknown): Promise<Response | undefined> => {
      const id = `sigterm-${randomBytes(8).toString('hex')}`;
      try {
        const response = await fetch(base + path, {
          method,
          headers: { ...headers, 'x-request-id': id },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (response.ok) (method === 'GET' ? acknowledged.reads : acknowledged.mutations).push(id);
        return response;
      } catch {
        stopped = true;
        return undefined;
      }
    };
    const worker = async (n: number) => {
      for (let i = 0; !stopped; i++) {
        const created = await send('POST', '/user/me/personal-access-tokens', { name: `w${n}-${i}`, scopes: ['user:read'] });
        if (created?.status === 201) {
          const { id } = (await created.json()) as { id: string };
          await send('GET', `/user/me/personal-access-tokens/${id}`);
          await send(i % 2 ? 'DELETE' : 'POST', `/user/me/personal-access-tokens/${id}${i % 2 ? '' : '/revoke'}`);
        } else if (created && created.status >= 500) {
          stopped = true;
        }
        if (created?.status === 503) stopped = true;
      }
    };
    // Reads only, as fast as the server answers them: most of what is buffered at SIGTERM.
    const reader = async () => {
      while (!stopped) await send('GET', '/user/me');
    };
    const workers = [...Array.from({ length: 6 }, (_, n) => worker(n)), ...Array.from({ length: 4 }, () => reader())];
    await waitFor('30 acknowledged mutations under load before SIGTERM', () => acknowledged.mutations.length >= 30, { timeoutMs: 30_000 });
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    stopped = true;
    await Promise.all(workers);
    expect(proc.exitCode !== null || proc.signalCode !== null).toBe(true);

    expect(acknowledged.mutations.length).toBeGreaterThan(20);
    const db = new Database(join(dataDir, 'pat-service.sqlite'), { readonly: true });
    try {
      const rows = db.prepare("SELECT request_id AS id, outcome FROM audit_events WHERE request_id LIKE 'sigterm-%'").all() as Array<{
        id: string;
        outcome: string;
      }>;
      const byId = new Map<string, number>();
      for (const row of rows) byId.set(row.id, (byId.get(row.id) ?? 0) + 1);
      const missing = (ids: string[]) => ids.filter((id) => !byId.has(id));
      expect({ missingMutations: missing(acknowledged.mutations) }).toEqual({ missingMutations: [] });
      expect([...byId.values()].filter((count) => count !== 1)).toEqual([]);
      const success = new Set(rows.filter((row) => row.outcome === 'success').map((row) => row.id));
      expect(acknowledged.mutations.filter((id) => !success.has(id))).toEqual([]);
      const counted = db
        .prepare("SELECT COALESCE(SUM(event_count), 0) AS n FROM audit_events WHERE outcome = 'success' AND last_occurred_at IS NOT NULL")
        .get() as { n: number };
      expect(counted.n).toBe(acknowledged.reads.length);
      expect(acknowledged.reads.length).toBeGreaterThan(20);
    } finally {
      db.close();
    }
  }, 150_000);
});
