import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const LIB = 'libs/personal-access-tokens/src';

interface Probe {
  file: string;
  from: string;
  refused: boolean;
}

/** Imports the `pat/module-graph` lint rule must refuse, and some it must let through. */
const probes: Probe[] = [
  { file: `${LIB}/core/probe.ts`, from: '../scopes/scope-catalog', refused: true },
  { file: `${LIB}/core/probe.ts`, from: '../../../../src/app.module', refused: true },
  { file: `${LIB}/scopes/probe.ts`, from: '../users/user.entity', refused: true },
  { file: `${LIB}/scopes/probe.ts`, from: '../tokens/tokens.service', refused: true },
  { file: `${LIB}/users/probe.ts`, from: '../tokens/tokens.service', refused: true },
  { file: `${LIB}/users/probe.ts`, from: '../audit/audit-trail', refused: true },
  { file: `${LIB}/tokens/admin/probe.ts`, from: '../../users/user.entity', refused: true },
  { file: `${LIB}/tokens/probe.ts`, from: '../auth/sessions/session.entity', refused: true },
  { file: `${LIB}/tokens/probe.ts`, from: '../audit/audit-writer', refused: true },
  { file: `${LIB}/audit/probe.ts`, from: '../tokens/tokens.service', refused: true },
  { file: `${LIB}/audit/probe.ts`, from: '../auth/principal', refused: true },
  { file: `${LIB}/auth/probe.ts`, from: '../users/users.service', refused: true },
  { file: `${LIB}/auth/probe.ts`, from: '../personal-access-tokens.module', refused: true },
  { file: `${LIB}/webhooks/probe.ts`, from: '../core/clock', refused: true },
  { file: 'src/login/probe.ts', from: '../../libs/personal-access-tokens/src/tokens/tokens.service', refused: true },
  { file: `${LIB}/auth/introspection/probe.ts`, from: '../../tokens/tokens.service', refused: false },
  { file: `${LIB}/users/probe.ts`, from: '../scopes/require-scopes.decorator', refused: false },
  { file: `${LIB}/audit/probe.ts`, from: '../core/audit-context', refused: false },
  { file: `${LIB}/probe.ts`, from: './users/users.module', refused: false },
  { file: 'src/login/probe.ts', from: '../../libs/personal-access-tokens/src', refused: false },
  { file: `${LIB}/auth/probe.ts`, from: '../page/page-session-cookie', refused: true },
  { file: `${LIB}/page/probe.ts`, from: '../users/users.service', refused: true },
  { file: `${LIB}/page/probe.ts`, from: '../auth/cookie-credentials', refused: false },
  { file: `${LIB}/cli/probe.ts`, from: '../core/clock', refused: true },
  { file: `${LIB}/cli/probe.ts`, from: '../tokens/dto/token.dto', refused: true },
  { file: `${LIB}/tokens/probe.ts`, from: '../cli/api.client', refused: true },
  { file: `${LIB}/probe.ts`, from: './cli/cli.program', refused: true },
  { file: `${LIB}/cli/probe.ts`, from: './api.client', refused: false },
  { file: `${LIB}/usage/probe.ts`, from: '../audit/usage-query.service', refused: false },
  { file: `${LIB}/usage/probe.ts`, from: '../tokens/personal-access-token.entity', refused: false },
  { file: `${LIB}/usage/probe.ts`, from: '../auth/bearer.strategy', refused: true },
  { file: `${LIB}/audit/probe.ts`, from: '../usage/token-usage.service', refused: true },
  { file: `${LIB}/tokens/probe.ts`, from: '../usage/token-usage.service', refused: true },
];

/** Runs ESLint (the project's own config) in a child process: the config and rule are ES modules. */
function lint(): { probes: string[][]; project: string[] } {
  const script = `
    import { ESLint } from 'eslint';
    const input = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const only = (results) => results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'pat/module-graph').map((m) => r.filePath + ': ' + m.message));
    const probes = [];
    for (const probe of input) {
      const code = "import * as probe from '" + probe.from + "';\\nexport { probe };\\n";
      probes.push(only(await eslint.lintText(code, { filePath: probe.file })));
    }
    const project = only(await eslint.lintFiles(['src/**/*.ts', '${LIB}/**/*.ts']));
    process.stdout.write(JSON.stringify({ probes, project }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(probes)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(output);
}

describe('the module graph (lint rule pat/module-graph)', () => {
  let result: ReturnType<typeof lint>;
  beforeAll(() => {
    result = lint();
  }, 120_000);

  it('holds for every import of the library and the service', () => {
    expect(result.project).toEqual([]);
  });

  it.each(probes.map((probe, index) => ({ ...probe, index })))('$file importing $from: refused=$refused', ({ index, refused }) => {
    expect(result.probes[index]).toHaveLength(refused ? 1 : 0);
    if (refused) expect(result.probes[index][0]).toMatch(/runs against the module graph/);
  });
});
