import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SOURCES = join(ROOT, 'libs/personal-access-tokens/src/cli');
/** The CLI as `npm run build` builds it. */
export const CLI = join(ROOT, 'dist/libs/personal-access-tokens/src/cli/pat.js');

/** Fails when the built CLI is missing or older than its sources, so that the tests run what the sources say. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const built = statSync(CLI).mtimeMs;
  const stale = readdirSync(SOURCES).filter((file) => statSync(join(SOURCES, file)).mtimeMs > built);
  if (stale.length) throw new Error(`the built CLI is older than ${stale.join(', ')}: run npm run build first`);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh config home, and the environment the CLI runs with (no PAT_* from the test's own environment). */
export function cliEnvironment(host: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !/^(PAT_|NO_COLOR|COLUMNS|XDG_)/.test(key)) env[key] = value;
  return { ...env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'pat-cli-')), PAT_HOST: host, ...extra };
}

/** Runs the built CLI as a child process (asynchronously: the service answers from this same process). */
export function runPat(args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
