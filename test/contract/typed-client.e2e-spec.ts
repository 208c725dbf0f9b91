import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const CLIENT = join(__dirname, 'typed-client');
const bin = (path: string) => join(ROOT, 'node_modules', path);

/**
 * A user's view of the API: types generated from the running service's /docs-json with
 * openapi-typescript, a script through openapi-fetch that type-checks with no casts
 * (`tsc --noEmit` semantics: any type error fails), then runs against the service.
 */
describe.each(testDatabases())('typed client on $name', (database) => {
  let t: TestApp;
  let work: string;
  let baseUrl: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    // Inside the repository, so the script resolves openapi-fetch from its node_modules.
    work = join(ROOT, `.typed-client-${randomBytes(4).toString('hex')}`);
    mkdirSync(join(work, 'generated'), { recursive: true });
    for (const file of ['walkthrough.ts', 'tsconfig.json']) copyFileSync(join(CLIENT, file), join(work, file));
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await t?.close();
  });

  it('is a script with no casts, shown as is in the README', () => {
    const source = readFileSync(join(CLIENT, 'walkthrough.ts'), 'utf8');
    const escapes: string[] = [];
    const visit = (node: ts.Node): void => {
      if (
        ts.isAsExpression(node) ||
        ts.isTypeAssertionExpression(node) ||
        ts.isNonNullExpression(node) ||
        node.kind === ts.SyntaxKind.AnyKeyword
      )
        escapes.push(node.getText());
      ts.forEachChild(node, visit);
    };
    visit(ts.createSourceFile('walkthrough.ts', source, ts.ScriptTarget.Latest, true));
    expect(escapes).toEqual([]);
    expect(source).not.toContain('@ts-');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(source.trim());
  });

  it('type-checks against types generated from /docs-json and runs against the service', async () => {
    const document = await fetch(`${baseUrl}/docs-json`).then((response) => response.text());
    writeFileSync(join(work, 'openapi.json'), document);
    await run(process.execPath, [bin('openapi-typescript/bin/cli.js'), 'openapi.json', '-o', 'generated/api.d.ts'], { cwd: work });
    await run(process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: work }).catch((error: { stdout: string }) => {
      throw new Error(`the walkthrough does not type-check against the document:\n${error.stdout}`);
    });

    const { stdout } = await run(process.execPath, [join(work, 'out', 'walkthrough.js')], {
      cwd: work,
      env: { ...process.env, PAT_URL: baseUrl, PAT_EMAIL: ADMIN_EMAIL, PAT_PASSWORD: ADMIN_PASSWORD },
    });
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      rotatedSecretChanged: true,
      revokedStatus: 'revoked',
      regeneratedStatus: 'active',
      scopesAfterAdd: ['audit:read', 'personal_access_tokens:read', 'user:read'],
      removedStatus: 204,
    });
    expect(result.listed).toContain(result.id);
    // What the script did is what the service now holds, and what its audit trail says.
    const admin = await t.loginAdmin();
    const token = await t.get(`/user/me/personal-access-tokens/${result.id}`, { token: admin });
    expect(token.body).toMatchObject({ status: 'active', scopes: ['audit:read', 'user:read'] });
    expect(result.trail).toEqual(
      expect.arrayContaining([
        'personal_access_token.create',
        'personal_access_token.list',
        'personal_access_token.rotate',
        'personal_access_token.revoke',
        'personal_access_token.regenerate',
        'personal_access_token.add_scope',
        'personal_access_token.remove_scope',
      ]),
    );
  }, 120_000);
});
