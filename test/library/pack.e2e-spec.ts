import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { testDatabases } from '../support/test-database';

const root = resolve(__dirname, '../..');
const library = join(root, 'libs/personal-access-tokens');
const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface Answer {
  request: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}
interface HostRun {
  host: Answer[];
  checks: Record<string, unknown>;
}

/** The bare packages a declaration file reaches, following its relative imports. */
function packagesReachedBy(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        pending.push(existsSync(`${target}.d.ts`) ? `${target}.d.ts` : join(target, 'index.d.ts'));
      } else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
    }
  }
  return packages;
}

describe('the packed library in a host app of its own (filter, pipe, Bearer auth, users, routes)', () => {
  let scratch: string;
  let installedAt: string;
  let tarball: string;
  const runs = new Map<string, HostRun>();
  const hostRun = (mode: string, adapter: string) => runs.get(`${mode} ${adapter}`)!;
  const mariadb = testDatabases().find((database) => database.name === 'mariadb');

  beforeAll(async () => {
    // Inside the repository, so that the host finds Nest and TypeORM up the tree as it would in its own node_modules.
    scratch = mkdtempSync(join(root, 'test/library/.host-'));
    // `npm pack` builds what it packs (the library's prepack script), with an empty npm cache, as on a fresh machine.
    rmSync(join(library, 'dist'), { recursive: true, force: true });
    const cache = mkdtempSync(join(tmpdir(), 'npm-cache-'));
    run('npm', ['pack', '--pack-destination', scratch], library, { ...process.env, npm_config_cache: cache });
    rmSync(cache, { recursive: true, force: true });
    tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'))!;

    cpSync(join(__dirname, 'fixtures/guest-host'), scratch, { recursive: true });
    // Installed the way npm lays a package out, without npm: no registry, no cache. Its dependencies
    // (cron) and peers are the repository's, found up the directory tree.
    installedAt = join(scratch, 'node_modules/@pat-service/personal-access-tokens');
    mkdirSync(installedAt, { recursive: true });
    run('tar', ['-xzf', join(scratch, tarball), '-C', installedAt, '--strip-components=1'], scratch);
    // skipLibCheck off: the library's declarations must compile in the host as they are.
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], scratch);
    const hostRun = (mode: string, adapter: string, env: NodeJS.ProcessEnv = process.env): HostRun =>
      JSON.parse(run(process.execPath, ['dist/main.js', mode, adapter], scratch, env).trim().split('\n').pop()!);
    for (const adapter of ['fastify', 'express'])
      for (const mode of ['bare', 'full', 'lean', 'guarded']) runs.set(`${mode} ${adapter}`, hostRun(mode, adapter));
    // With TEST_DATABASE_URL, the two compositions on MariaDB too, each on a fresh database.
    if (mariadb)
      for (const mode of ['full', 'lean']) {
        const db = await mariadb.create();
        try {
          const url = (db.config as { url: string }).url;
          runs.set(`${mode} mariadb`, hostRun(mode, 'fastify', { ...process.env, HOST_DATABASE_URL: url }));
        } finally {
          await db.drop();
        }
      }
  }, 420_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships the built page, both entries, a README that says how to compose it, and its repository', () => {
    expect(tarball).toMatch(/^pat-service-personal-access-tokens-.*\.tgz$/);
    const dist = join(installedAt, 'dist/libs/personal-access-tokens/src');
    expect(readFileSync(join(dist, 'page/public/index.html'), 'utf8')).toMatch(/<!doctype html>/i);
    expect(readdirSync(join(dist, 'page/public/assets')).some((file) => file.endsWith('.js'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(installedAt, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.exports)).toEqual(['.', './dto', './package.json']);
    expect(manifest.repository).toMatchObject({ type: 'git', directory: 'libs/personal-access-tokens' });
    expect(manifest.peerDependencies).toMatchObject({ '@nestjs/swagger': expect.any(String), '@nestjs/schedule': expect.any(String) });
    expect(manifest.peerDependenciesMeta['@nestjs/schedule']).toEqual({ optional: true });
    const readme = readFileSync(join(installedAt, 'README.md'), 'utf8');
    for (const topic of ['npm install', 'peerDependencies', 'ENTITIES', 'MIGRATIONS', 'enableShutdownHooks', 'protectAllRoutes', 'PersonalAccessTokensRoutesModule'])
      expect({ topic, inReadme: readme.includes(topic) }).toEqual({ topic, inReadme: true });
    expect(statSync(join(scratch, tarball)).size).toBeLessThan(475_000);
  });

  it('has public types that need only its peers and dependencies (no @types/passport-http-bearer)', () => {
    const manifest = JSON.parse(readFileSync(join(installedAt, 'package.json'), 'utf8'));
    const allowed = new Set([...Object.keys(manifest.peerDependencies), ...Object.keys(manifest.dependencies ?? {})]);
    const dist = join(installedAt, 'dist/libs/personal-access-tokens/src');
    for (const entry of ['index.d.ts', 'dto.d.ts']) {
      const needed = [...packagesReachedBy(join(dist, entry))].filter((p) => !builtinModules.includes(p.replace(/^node:/, '')));
      expect({ entry, lacking: needed.filter((p) => !allowed.has(p)) }).toEqual({ entry, lacking: [] });
    }
  });

  const LEAN_TABLES = [
    'job_leases',
    'lock_rows',
    'migrations',
    'personal_access_token_addresses',
    'personal_access_token_retired_digests',
    'personal_access_token_scopes',
    'personal_access_tokens',
    'rate_limit_counters',
    'sessions',
    'webhook_deliveries',
  ];
  const OTHER_TABLES = ['audit_events', 'oidc_identities', 'oidc_sign_in_attempts', 'roles', 'token_exchange_policies', 'token_exchange_replays', 'users'];

  it.each(['fastify', 'express', ...(mariadb ? ['mariadb'] : [])])(
    'gives a lean composition (own users, no audit) only its tables, and a full one every table (%s)',
    (adapter) => {
      expect(hostRun('lean', adapter).checks.tables).toEqual(LEAN_TABLES);
      expect(hostRun('full', adapter).checks.tables).toEqual([...LEAN_TABLES, ...OTHER_TABLES].sort());
      // And each works: the lean one mints and lists PATs under /pat, the full one serves its page.
      expect(hostRun('lean', adapter).checks.ownTokens).toBe(200);
      expect(hostRun('full', adapter).checks.page).toEqual({ status: 200, html: true });
    },
  );

  describe.each(['fastify', 'express'])('on %s', (adapter) => {
    it.each(['full', 'lean'])("leaves the host's answers byte for byte as they are without the library (%s)", (mode) => {
      const bare = hostRun('bare', adapter).host;
      // The fixed requests: implicit conversion, an allowed unknown field, the host's own 400, 401, 500 and 404, its Bearer tokens.
      expect(bare.map((a) => `${a.request} ${a.status}`)).toEqual([
        'GET /things 200',
        'GET /things?limit=1 200',
        'GET /things?limit=99 400',
        'POST /things 201',
        'POST /things 201',
        'GET /things/mine 401',
        'GET /things/mine 200',
        'GET /things/mine 401',
        'GET /things/boom 500',
        'GET /nowhere 404',
      ]);
      expect(bare[1].body).toBe('{"limit":1,"type":"number"}');
      expect(hostRun(mode, adapter).host).toEqual(bare);
    });

    it('serves its own routes in its own error shape, checks PATs on the routes that declare scopes, and starts the page', () => {
      const { checks } = hostRun('full', adapter);
      expect(checks.ownTokens).toBe(200);
      expect(checks.libraryValidation).toMatchObject({ statusCode: expect.any(Number), code: expect.any(String), requestId: expect.any(String) });
      expect(checks.libraryValidation).not.toHaveProperty('hostError');
      expect(checks.scopedWithPat).toBe(200);
      // A refusal on a host route is the host's to answer (its filter, its shape), with the library's code and challenge.
      const anonymous = checks.scopedAnonymous as Answer;
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      expect(JSON.parse(anonymous.body)).toMatchObject({ hostError: true, status: 401, detail: { code: 'missing_credentials' } });
      expect(checks.page).toEqual({ status: 200, html: true });
    });


    it('mounts only the routes a lean composition asked for, under its path', () => {
      const { checks } = hostRun('lean', adapter);
      expect(checks.ownTokens).toBe(200);
      expect(checks.otherRoutes).toEqual({ admin: 404, scopes: 404, introspect: 404 });
      expect(hostRun('full', adapter).checks.otherRoutes).toEqual({ admin: 403, scopes: 200, introspect: 401 });
    });

    it("with protectAllRoutes, fails closed on the host's routes but passes the host's own Bearer tokens to its guard, uncounted", () => {
      const { checks } = hostRun('guarded', adapter);
      expect(checks.anonymousHostRoute).toBe(401);
      expect(checks.hostBearerAnswers).toEqual([200]);
      // 60 host tokens later (over the limit of 50 failures), a PAT from the same address still works.
      expect(checks.patAfterHostBearers).toBe(200);
    });
  });
});
