// Lint that matters: floating promises are errors, and the layers stay clean:
// no I/O in the pure domain, nothing non-deterministic in workflows.
import tseslint from 'typescript-eslint';

const ioLibraries = [
  'pg',
  'kysely',
  'ioredis',
  'nodemailer',
  'smtp-server',
  'fastify',
  'yahoo-finance2',
  'fs',
  'node:*',
  'child_process',
  'net',
  'http',
  'https',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...ioLibraries, '@temporalio/*'], message: 'src/domain is pure: no I/O, no Temporal.' },
            {
              group: [
                '**/adapters/**',
                '**/activities/**',
                '**/workflows/**',
                '**/cli/**',
                '**/api/**',
                '**/config/**',
              ],
              message: 'src/domain depends on nothing outside it.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/domain takes the time as input.' },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/domain reads no environment.' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...ioLibraries, '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Workflows are deterministic: no I/O; call activities.',
            },
            {
              group: ['**/adapters/**', '**/cli/**', '**/api/**', '**/config/config'],
              message: 'Workflows import only domain code and activity types.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Not deterministic: use the workflow uuid4() or activities.' },
      ],
    },
  },
);
