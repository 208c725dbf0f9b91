// Nest 12 ships ESM only: the project's TypeScript goes through ts-jest (with the Swagger plugin,
// as `nest build` does), and those ESM packages through SWC to CommonJS.
const esmPackages = [
  '@nestjs',
  'file-type',
  'cookie',
  'content-disposition',
  '@borewit',
  '@tokenizer',
  'strtok3',
  'token-types',
  'uint8array-extras',
  'load-esm',
  'jose',
  'openid-client',
  'oauth4webapi',
  'oidc-provider',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  roots: ['<rootDir>/libs', '<rootDir>/src', '<rootDir>/test', '<rootDir>/migrations'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  // Build output and the packed-library scratch app are not the project's sources.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/libs/personal-access-tokens/dist/', '/\\.host-', '/\\.typed-client-'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: 'tsconfig.json',
        diagnostics: false,
        astTransformers: { before: ['<rootDir>/test/support/swagger-plugin.js'] },
      },
    ],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`node_modules/(?!(?:.*node_modules/)?(${esmPackages.join("|")})/)`],
  testTimeout: 60_000,
  // With one worker (2 cores) every file runs in this process, and something the new suites start
  // (the in-process OpenID provider, the JWKS fetches' keep-alive sockets) keeps it alive after the
  // run: results are written first, then Jest exits instead of waiting for CI's time limit.
  forceExit: true,
};
