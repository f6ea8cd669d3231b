import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'dist.next/**', 'node_modules/**', 'coverage/**', 'zoomctl-data/**', 'test-artifacts/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', performance: 'readonly'},
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-restricted-imports': [
        'error',
        {patterns: [{group: ['**/commands/**'], message: 'The core must not depend on src/commands.'}]},
      ],
    },
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: {'no-restricted-imports': 'off'},
  },
)
