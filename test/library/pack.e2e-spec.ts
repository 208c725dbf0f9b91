import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const library = join(root, 'libs/personal-access-tokens');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed library', () => {
  let scratch: string;

  beforeAll(() => {
    // Inside the repository, so that the host finds Nest and TypeORM up the tree as it would in its own node_modules.
    scratch = mkdtempSync(join(root, 'test/library/.host-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('installs from its tarball into a host app that compiles and runs', () => {
    // `npm pack` builds what it packs (the library's prepack script): no build output beforehand.
    rmSync(join(library, 'dist'), { recursive: true, force: true });
    run('npm', ['pack', '--pack-destination', scratch], library);
    const tarball = readdirSync(scratch).find((file) => file.endsWith('.tgz'))!;
    expect(tarball).toMatch(/^pat-service-personal-access-tokens-.*\.tgz$/);

    cpSync(join(__dirname, 'fixtures/scratch-host'), scratch, { recursive: true });
    // Installed the way npm lays a package out, without npm: no registry, no cache (a fresh machine has
    // neither). Its dependencies (cron) and peers are the repository's, found up the directory tree.
    const installedAt = join(scratch, 'node_modules/@pat-service/personal-access-tokens');
    mkdirSync(installedAt, { recursive: true });
    run('tar', ['-xzf', join(scratch, tarball), '-C', installedAt, '--strip-components=1'], scratch);
    const manifest = JSON.parse(readFileSync(join(installedAt, 'package.json'), 'utf8')) as { name: string };
    expect(manifest.name).toBe('@pat-service/personal-access-tokens');
    const installed = readdirSync(join(installedAt, 'dist'));
    expect(installed).toEqual(expect.arrayContaining(['libs', 'migrations']));

    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], scratch);
    const output = run(process.execPath, ['dist/main.js'], scratch);
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ withScope: 200, withoutScope: 403, anonymous: 401 });
  }, 240_000);
});
