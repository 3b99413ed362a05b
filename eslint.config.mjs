// ESLint (flat config) with typescript-eslint's type-aware rules: the ones that catch a promise
// nobody awaits or a promise where a callback's result is ignored matter most in workers and
// activities, where a lost rejection is a lost run. Formatting is Prettier's alone.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.nanogpt-bench/**', 'human_baselines/records/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `void promise` is how this code says "not awaited on purpose".
      'no-void': 'off',
      // The code relies on TypeScript's checks where it asserts; any remains rare and explicit.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    // Tests read JSON (verdicts, histories, event streams) and assert on its shape: typing every
    // parse adds nothing an assertion does not already check. Promise and await rules still hold.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // eventually() and the model servers take async callbacks, awaited or not inside.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Workflow code is deterministic: no Node APIs, no clock or randomness outside the SDK's own.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'crypto', '../activities', '../activities/*', '../src/temporal/*', '../src/sandbox/*'],
              allowTypeImports: true,
              message: 'workflows are deterministic: side effects belong in activities',
            },
          ],
        },
      ],
    },
  },
);
