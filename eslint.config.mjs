import tseslint from 'typescript-eslint';
import moduleGraph from './eslint/module-graph.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/.work/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts', 'libs/**/*.ts'],
    plugins: { pat: moduleGraph },
    rules: { 'pat/module-graph': 'error' },
  },
  {
    files: ['src/**/*.ts', 'libs/**/*.ts'],
    ignores: ['src/config/**', 'src/data-source.ts', 'libs/personal-access-tokens/src/cli/pat.ts'],
    rules: {
      // Configuration is read once, in src/config.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config.' }],
      // One rule for null in every DTO: @IsOptional lets null through to the services.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'class-validator', importNames: ['IsOptional'], message: 'Use Optional() or Nullable() from core/validation.' },
            { name: '@nestjs/common', importNames: ['ParseUUIDPipe'], message: 'Use ParseIdPipe from core/parse-id.pipe.' },
          ],
        },
      ],
    },
  },
  {
    // The command-line client is a plain Node program that talks to the service over HTTP: none of the server's stack.
    files: ['libs/personal-access-tokens/src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'typeorm', 'class-validator', 'class-transformer', 'passport*', 'reflect-metadata', 'rxjs'],
              message: 'The CLI talks to the service over HTTP only (openapi-fetch on the generated types).',
            },
          ],
        },
      ],
    },
  },
);
