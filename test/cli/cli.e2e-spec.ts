import { readFileSync, statSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { assertBuilt, cliEnvironment, Run, runPat } from './cli-harness';

// Each case runs the CLI a dozen times as processes: minutes on a loaded 2-core machine.
jest.setTimeout(300_000);

const ALL_SCOPES = ['personal_access_tokens:read', 'personal_access_tokens:write', 'audit:read', 'user:read'];

/** No line of human output is wider than the table width pat was given. */
function widest(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => [...line].length));
}

describe.each(testDatabases())('the pat CLI on $name', (database) => {
  let t: TestApp;
  let host: string;
  let admin: string;
  let login: { id: string; token: string };
  let env: Record<string, string>;
  const secrets: string[] = [];
  const pat = async (args: string[], input?: string, extra: Record<string, string> = {}): Promise<Run> => {
    const run = await runPat(args, { ...env, ...extra }, input);
    // No secret the service handed out ever reaches stderr.
    for (const secret of [...secrets, ...t.secrets]) expect(run.stderr).not.toContain(secret);
    return run;
  };

  beforeAll(async () => {
    assertBuilt();
    t = await TestApp.start(database);
    await t.app.listen(0, '127.0.0.1');
    host = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    admin = await t.loginAdmin();
    login = await t.mintToken(admin, { name: 'cli-login', scopes: ALL_SCOPES, expiresIn: '30d' });
    secrets.push(login.token);
    env = cliEnvironment(host);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs in from stdin only, into a 0600 file in a 0700 directory, and says who it is', async () => {
    const refused = await pat(['auth', 'login', '--with-token'], 'pat_notARealTokenAtAll0000000000000000000\n');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused the token: .*invalid, expired or revoked.*\(invalid_token\)/);

    const noInput = await pat(['auth', 'login']);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain('--with-token');
    // A token as an argument is a usage error, never a login.
    expect((await pat(['auth', 'login', '--with-token', login.token])).code).toBe(2);

    const loggedIn = await pat(['auth', 'login', '--with-token', '--json'], `${login.token}\n`);
    expect(loggedIn.code).toBe(0);
    const answer = JSON.parse(loggedIn.stdout);
    expect(answer).toMatchObject({ host, token: { id: login.id, name: 'cli-login' } });
    expect(loggedIn.stdout).not.toContain(login.token);
    const file = join(env.XDG_CONFIG_HOME, 'pat', 'credentials.json');
    expect(answer.credentialsFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_CONFIG_HOME, 'pat')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8')).hosts[host]).toEqual({ token: login.token, tokenId: login.id });

    const status = await pat(['auth', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ host, source: file, token: { id: login.id, scopes: ALL_SCOPES.sort() }, user: { role: 'admin' } });
    const human = await pat(['auth', 'status']);
    expect(human.stdout).toContain('Logged in with token cli-login');
    expect(human.stdout).toContain('pat_********');
    expect(human.stdout).not.toContain(login.token);
  });

  it('creates a token with its secret alone on stdout, and the secret works', async () => {
    const created = await pat(['token', 'create', '--name', 'ci-deploy', '--scope', 'personal_access_tokens:read', '-s', 'audit:read', '--expires-in', '7d']);
    expect(created.code).toBe(0);
    const secret = created.stdout.trimEnd();
    expect(secret).toMatch(/^pat_[A-Za-z0-9]{38}$/);
    expect(created.stdout).toBe(`${secret}\n`);
    secrets.push(secret);
    expect(created.stderr).toContain('Created token ci-deploy');
    const self = await t.get('/user/me/personal-access-tokens/self', { token: secret });
    expect(self.body).toMatchObject({ name: 'ci-deploy', scopes: ['audit:read', 'personal_access_tokens:read'], status: 'active' });

    // PAT_TOKEN wins over the stored credential: this token may read but not write.
    const listed = await pat(['token', 'list', '--json'], undefined, { PAT_TOKEN: secret });
    expect(JSON.parse(listed.stdout).items.map((token: { name: string }) => token.name)).toEqual(expect.arrayContaining(['ci-deploy', 'cli-login']));
    const forbidden = await pat(['token', 'create', '--name', 'wider', '--scope', 'user:read'], undefined, { PAT_TOKEN: secret });
    expect(forbidden.code).toBe(5);
    expect(forbidden.stdout).toBe('');
  });

  it('says what the API refused in words, with exit codes scripts can test', async () => {
    const invalid = await pat(['token', 'create', '--name', 'bad', '--scope', 'nonsense', '--expires-at', 'tomorrow']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('(validation_failed)');
    expect(invalid.stderr).toMatch(/--scope \(scopes\): each scope must look like resource:action/);
    expect(invalid.stderr).toMatch(/--expires-at \(expiresAt\): must be an ISO 8601 date-time/);
    expect(invalid.stderr).toMatch(/request id: [0-9a-f-]{36}/);

    const taken = await pat(['token', 'create', '--name', 'CI-DEPLOY', '--expires-in', '1d', '--json']);
    expect(taken.code).toBe(5);
    expect(JSON.parse(taken.stderr)).toMatchObject({ exitCode: 5, error: { code: 'token_name_taken', statusCode: 409 } });

    expect((await pat(['token', 'show', 'no-such-token'])).code).toBe(4);
    expect((await pat(['token', 'show', '00000000-0000-4000-8000-000000000000'])).code).toBe(4);
    expect((await pat(['token', 'list', '--page-size', '0'])).code).toBe(2);
    const tooBig = await pat(['token', 'list', '--page-size', '500']);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toContain('--page-size (pageSize)');
    expect((await pat(['token', 'list'], undefined, { PAT_TOKEN: 'pat_revokedOrNeverIssued000000000000000000' })).code).toBe(3);
    expect((await pat(['token', 'list'], undefined, { PAT_HOST: 'http://127.0.0.1:9', PAT_TOKEN: login.token })).code).toBe(6);
    expect((await pat(['token', 'list'], undefined, { PAT_HOST: 'not a url' })).code).toBe(2);
    expect((await pat(['token', 'list', '--json'], undefined, { XDG_CONFIG_HOME: cliEnvironment(host).XDG_CONFIG_HOME })).code).toBe(3);
    expect((await pat(['token', 'frobnicate'])).code).toBe(2);
    expect((await pat(['--help'])).code).toBe(0);
  });

  it('shows, edits, rotates, revokes, regenerates and deletes a token named by its name or its id prefix', async () => {
    const list = JSON.parse((await pat(['token', 'list', '--json', '--search', 'ci-deploy'])).stdout);
    const id: string = list.items[0].id;

    const shown = await pat(['token', 'show', 'Ci-Deploy']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/ID\s+/);
    expect(shown.stdout).toContain(id);
    expect(JSON.parse((await pat(['token', 'show', id.slice(0, 8), '--json'])).stdout)).toMatchObject({ id, name: 'ci-deploy' });

    const edited = await pat(['token', 'edit', id.slice(0, 8), '--name', 'ci-release', '--description', 'Releases', '--json']);
    expect(JSON.parse(edited.stdout)).toMatchObject({ id, name: 'ci-release', description: 'Releases' });
    expect((await pat(['token', 'edit', 'ci-release'])).code).toBe(2);

    const rotated = await pat(['token', 'rotate', 'ci-release', '--expires-in', '1d']);
    expect(rotated.code).toBe(0);
    const newSecret = rotated.stdout.trimEnd();
    secrets.push(newSecret);
    expect((await t.get('/user/me/personal-access-tokens/self', { token: newSecret })).status).toBe(200);
    const again = await pat(['token', 'rotate', 'ci-release', '--expires-in', '1d']);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('(rotation_too_soon)');

    const revoked = await pat(['token', 'revoke', 'ci-release', '--json']);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id, status: 'revoked' });
    expect((await t.get('/user/me/personal-access-tokens/self', { token: newSecret })).status).toBe(401);

    const regenerated = await pat(['token', 'regenerate', id, '--expires-in', '7d', '--json']);
    const body = JSON.parse(regenerated.stdout);
    secrets.push(body.token);
    expect(body).toMatchObject({ id, status: 'active' });
    expect((await t.get('/user/me/personal-access-tokens/self', { token: body.token })).status).toBe(200);

    const added = await pat(['token', 'scopes', 'add', 'ci-release', 'user:read', 'audit:read', '--json']);
    expect(JSON.parse(added.stdout)).toEqual({
      tokenId: id,
      scopes: ['audit:read', 'personal_access_tokens:read', 'user:read'],
      added: ['user:read'],
      alreadyHad: ['audit:read'],
    });
    // The logged-in token lacks admin:write, so it cannot grant it: refused, and nothing changed.
    const escalation = await pat(['token', 'scopes', 'add', 'ci-release', 'admin:write']);
    expect(escalation.code).toBe(5);
    expect(escalation.stderr).toContain('(token_escalation)');
    expect((await pat(['token', 'scopes', 'remove', 'ci-release', 'user:read'])).code).toBe(0);
    expect((await t.get(`/user/me/personal-access-tokens/${id}`, { token: admin })).body.scopes).toEqual(['audit:read', 'personal_access_tokens:read']);
    expect((await pat(['token', 'scopes', 'remove', 'ci-release', 'user:read'])).code).toBe(4);
    expect((await pat(['token', 'scopes', 'remove', 'ci-release', '--all'])).code).toBe(0);
    expect((await t.get(`/user/me/personal-access-tokens/${id}`, { token: admin })).body.scopes).toEqual([]);

    // No terminal to ask on: deleting needs --yes.
    expect((await pat(['token', 'delete', 'ci-release'])).code).toBe(2);
    const deleted = await pat(['token', 'delete', 'ci-release', '--yes', '--json']);
    expect(JSON.parse(deleted.stdout)).toEqual({ id, deleted: true });
    expect((await t.get(`/user/me/personal-access-tokens/${id}`, { token: admin })).status).toBe(404);
  });

  it("keeps the stored credential working when it rotates the token it is logged in with", async () => {
    // A token renews itself only within its own expiry (30 days here).
    const rotated = await pat(['token', 'rotate', 'cli-login', '--expires-in', '7d']);
    expect(rotated.code).toBe(0);
    const secret = rotated.stdout.trimEnd();
    secrets.push(secret);
    expect(rotated.stderr).toContain('now holds the new secret');
    const file = join(env.XDG_CONFIG_HOME, 'pat', 'credentials.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).hosts[host].token).toBe(secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await pat(['auth', 'status'])).code).toBe(0);
  });

  it("reads a token's audit trail with filters, and exports it to a 0600 file", async () => {
    const trail = await pat(['audit', '--token', 'cli-login', '--json', '--limit', '200']);
    expect(trail.code).toBe(0);
    const events: Array<{ action: string; outcome: string; tokenId: string | null; targetId: string | null }> = JSON.parse(trail.stdout).items;
    expect(events.length).toBeGreaterThan(3);
    expect(events.every((event) => event.tokenId === login.id || event.targetId === login.id)).toBe(true);
    expect(events.map((event) => event.action)).toEqual(expect.arrayContaining(['personal_access_token.create', 'personal_access_token.rotate']));

    const denied = JSON.parse((await pat(['audit', '--outcome', 'denied', '--json'])).stdout).items;
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((event: { outcome: string }) => event.outcome === 'denied')).toBe(true);

    const table = await pat(['audit', '--limit', '5']);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME \(UTC\)\s+ACTION\s+RESULT/);
    expect(table.stderr).toContain('--cursor');

    const output = join(env.XDG_CONFIG_HOME, 'trail.csv');
    const exported = await pat(['audit', '--token', login.id, '--export', 'csv', '--output', output, '--json']);
    expect(exported.code).toBe(0);
    const summary = JSON.parse(exported.stdout);
    const csv = readFileSync(output, 'utf8');
    // The trail grew while it was read (the export's own lookups are in it): at least what the page held.
    expect(summary).toMatchObject({ file: output, format: 'csv' });
    expect(summary.events).toBeGreaterThanOrEqual(events.length);
    expect(csv.trim().split('\n')).toHaveLength(summary.events + 1);
    expect(statSync(output).mode & 0o777).toBe(0o600);
    const ndjson = await pat(['audit', '--token', login.id, '--export', 'ndjson']);
    expect(ndjson.stdout.trim().split('\n').map((line) => JSON.parse(line).action)).toContain('personal_access_token.rotate');
  });

  it('fits its tables to 80 columns when not on a terminal, or to COLUMNS, in colour never', async () => {
    await t.mintToken(admin, { name: 'a-token-with-a-rather-long-name-indeed', scopes: ALL_SCOPES, description: 'x'.repeat(300) });
    const table = await pat(['token', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+SCOPES/);
    expect(widest(table.stdout)).toBeLessThanOrEqual(80);
    expect(table.stdout).toContain('…');
    expect(table.stdout).not.toContain('\u001b[');
    const narrow = await pat(['token', 'list'], undefined, { COLUMNS: '50' });
    expect(widest(narrow.stdout)).toBeLessThanOrEqual(50);
    const shown = await pat(['token', 'show', 'a-token-with-a-rather-long-name-indeed'], undefined, { COLUMNS: '60' });
    expect(widest(shown.stdout)).toBeLessThanOrEqual(60);
    expect(widest((await pat(['audit'])).stdout)).toBeLessThanOrEqual(80);
  });

  it('logs out, forgetting the credential', async () => {
    const out = await pat(['auth', 'logout', '--json']);
    expect(JSON.parse(out.stdout)).toEqual({ host, loggedOut: true, tokenId: login.id });
    const file = readFileSync(join(env.XDG_CONFIG_HOME, 'pat', 'credentials.json'), 'utf8');
    expect(JSON.parse(file).hosts).toEqual({});
    expect((await pat(['auth', 'status'])).code).toBe(3);
    expect((await pat(['auth', 'logout'])).code).toBe(3);
  });
});
