// Lint: typescript-eslint's recommended rules, plus the architecture rule that the core imports
// no SDK, web framework, queue or database driver.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', '.tmp/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Plain Node scripts (the build runs before anything is compiled).
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['express', 'bullmq', 'ioredis', 'better-sqlite3', '@slack/*', '@microsoft/*', 'botbuilder*', 'undici', 'pino', 'node:fs', 'node:http', 'node:net', 'fs', 'http', 'net', '../store/*', '../http/*', '../admin/*', '../../adapters/*', '../../jobs/*', '../app/*'],
              message: 'The core knows nothing of SDKs, HTTP, queues or SQLite: put this in an adapter (or a use case in src/app).',
            },
          ],
        },
      ],
    },
  },
);
