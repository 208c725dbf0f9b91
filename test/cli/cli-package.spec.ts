import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_VERSION } from '../../libs/personal-access-tokens/src/cli/cli.program';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../libs/personal-access-tokens/package.json'), 'utf8'));

describe('the pat command in the library package', () => {
  it('is its bin, with its runtime dependencies declared (a host installs no Nest to run it)', () => {
    expect(manifest.bin).toEqual({ pat: 'dist/libs/personal-access-tokens/src/cli/pat.js' });
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['commander', 'openapi-fetch']));
  });

  it('says the version of the package it ships in', () => {
    expect(CLI_VERSION).toBe(manifest.version);
  });
});
