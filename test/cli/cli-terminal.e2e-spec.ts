import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { describeWith } from '../support/prerequisites';
import { assertBuilt, CLI, cliEnvironment } from './cli-harness';

const run = promisify(execFile);
jest.setTimeout(300_000);
const TMUX = '/usr/bin/tmux';
const hasTmux = existsSync(TMUX);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * pat on a real terminal: a tmux session of 80 columns running bash. The tables fit its width; the
 * login prompt echoes nothing, and the secret is in neither the screen nor the shell's history.
 */
const database = testDatabases()[0];
describeWith(hasTmux ? undefined : `${TMUX} is absent (apt-get install -y tmux)`)(`pat in a terminal (tmux) on ${database.name}`, () => {
  let t: TestApp;
  let env: Record<string, string>;
  let login: { token: string };
  const session = `pat-cli-${process.pid}`;
  const tmux = (...args: string[]) => run(TMUX, ['-L', session, ...args], { env });
  // -J joins lines the terminal wrapped: a secret or a table row wider than the pane shows whole.
  const screen = async () => (await tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200')).stdout;
  /** Types a line into the pane and waits until `done` appears on screen. */
  const type = async (line: string, done: RegExp) => {
    await tmux('send-keys', '-t', session, '-l', line);
    await tmux('send-keys', '-t', session, 'Enter');
    for (let tries = 0; tries < 300; tries++) {
      if (done.test(await screen())) return;
      await sleep(100);
    }
    throw new Error(`the terminal never showed ${done}:\n${await screen()}`);
  };

  beforeAll(async () => {
    assertBuilt();
    t = await TestApp.start(database);
    await t.app.listen(0, '127.0.0.1');
    const host = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const admin = await t.loginAdmin();
    login = await t.mintToken(admin, { name: 'terminal', scopes: ['personal_access_tokens:read', 'audit:read'], expiresIn: '30d' });
    for (let i = 0; i < 4; i++) {
      await t.mintToken(admin, {
        name: `a-long-token-name-number-${i}-for-the-table`,
        scopes: ['personal_access_tokens:read', 'personal_access_tokens:write', 'audit:read', 'user:read'],
      });
    }
    env = cliEnvironment(host, { TERM: 'xterm-256color', HISTFILE: '', PS1: '$ ' });
    env.HISTFILE = join(env.XDG_CONFIG_HOME, 'bash_history');
    await tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '50', '-c', env.XDG_CONFIG_HOME, 'bash --norc -i');
    await tmux('set-option', '-t', session, 'history-limit', '5000');
    await type(`alias pat="node ${CLI}"; echo ready`, /^ready$/m);
  });
  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined);
    await t?.close();
  });

  it('asks for the token without echoing it, and keeps it out of the history and the screen', async () => {
    await type('pat auth login', /not shown\):/);
    await tmux('send-keys', '-t', session, '-l', login.token);
    await tmux('send-keys', '-t', session, 'Enter');
    await type('echo "exit=$?"', /Logged in to[\s\S]*exit=0/);
    await type('history -w; echo saved', /^saved$/m);
    expect(await screen()).not.toContain(login.token);
    expect(readFileSync(env.HISTFILE, 'utf8')).not.toContain(login.token);
    expect(readFileSync(env.HISTFILE, 'utf8')).toContain('pat auth login');
    expect(statSync(join(env.XDG_CONFIG_HOME, 'pat', 'credentials.json')).mode & 0o777).toBe(0o600);
  });

  it('fits the token and audit tables to the 80 columns of the terminal, in colour', async () => {
    await tmux('send-keys', '-t', session, 'clear', 'Enter');
    await type('pat token list; pat audit --limit 8; echo listed', /^listed$/m);
    const lines = (await screen()).split('\n');
    expect(lines.some((line) => /^ID\s+NAME\s+STATUS\s+SCOPES/.test(line))).toBe(true);
    expect(lines.some((line) => /^TIME \(UTC\)\s+ACTION/.test(line))).toBe(true);
    expect(lines.filter((line) => line.includes('a-long-token-name'))).toHaveLength(4);
    // Joined (-J), a row wider than the pane would count more than 80 characters.
    expect(Math.max(...lines.map((line) => [...line].length))).toBeLessThanOrEqual(80);
    const coloured = (await tmux('capture-pane', '-p', '-e', '-t', session)).stdout;
    expect(coloured).toMatch(/\u001b\[32mactive/);
    await tmux('send-keys', '-t', session, 'clear', 'Enter');
    await type('NO_COLOR=1 pat token list; echo plain', /^plain$/m);
    const plain = (await tmux('capture-pane', '-p', '-e', '-t', session)).stdout;
    expect(plain).toContain('active');
    expect(plain).not.toMatch(/\u001b\[3\dm/);
  });

  it('shows the progress of an export on the terminal, and ends with what it wrote', async () => {
    await type('pat audit --export csv --output trail.csv; echo "exit=$?"', /exit=\d+/);
    const shown = await screen();
    expect(shown).toMatch(/✓ Exported \d+ events as CSV to trail\.csv/);
    expect(shown).toContain('exit=0');
  });
});
