import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { loadAppConfig } from './load-config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'pat-config-'));
const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadAppConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('token policy settings (issue 23)', () => {
  it('reads PAT_REQUIRE_ALLOW_LIST_FOR_SENSITIVE_SCOPES as a boolean, off by default', () => {
    const dir = dataDir();
    expect(loadAppConfig({ DATA_DIR: dir }).policy.requireAllowListForSensitiveScopes).toBe(false);
    expect(
      loadAppConfig({ DATA_DIR: dir, PAT_REQUIRE_ALLOW_LIST_FOR_SENSITIVE_SCOPES: 'true' }).policy.requireAllowListForSensitiveScopes,
    ).toBe(true);
    expect(problemsOf({ DATA_DIR: dir, PAT_REQUIRE_ALLOW_LIST_FOR_SENSITIVE_SCOPES: 'maybe' })[0]).toMatch(
      /^PAT_REQUIRE_ALLOW_LIST_FOR_SENSITIVE_SCOPES/,
    );
  });

  it('reads `sensitive` on SCOPES_FILE entries: true, false or some of the resource’s actions', () => {
    const dir = dataDir();
    const file = join(dir, 'scopes.json');
    const resources = [
      { resource: 'billing', actions: ['read', 'update'], sensitive: ['update'] },
      { resource: 'vault', actions: ['read'], sensitive: true },
      { resource: 'reports', actions: ['read'] },
    ];
    writeFileSync(file, JSON.stringify({ resources }));
    expect(loadAppConfig({ DATA_DIR: dir, SCOPES_FILE: file }).productScopes).toEqual(
      resources.map((r) => ({ description: undefined, ...r })),
    );
    for (const sensitive of ['yes', ['delete'], [1], null]) {
      writeFileSync(file, JSON.stringify({ resources: [{ resource: 'billing', actions: ['read'], sensitive }] }));
      expect(problemsOf({ DATA_DIR: dir, SCOPES_FILE: file })[0]).toMatch(
        /resources\[0\]\.sensitive must be true, false, or a list of its actions/,
      );
    }
  });
});
