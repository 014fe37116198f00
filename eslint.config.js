// ESLint flat config: typescript-eslint's recommended rules on every TypeScript source.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      '.local-data/**',
      'coverage/**',
      'bench/results/**',
      'web/vendor/**',
      '.scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['web/**/*.js', 'web/**/*.ts'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        FormData: 'readonly',
        XMLHttpRequest: 'readonly',
        localStorage: 'readonly',
        navigator: 'readonly',
      },
    },
  },
  {
    // The compliance console: browser globals it uses (no bundler, plain ES modules).
    files: ['web/console/**/*.js'],
    languageOptions: {
      globals: {
        location: 'readonly',
        history: 'readonly',
        sessionStorage: 'readonly',
        setInterval: 'readonly',
        URLSearchParams: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        btoa: 'readonly',
        atob: 'readonly',
        Intl: 'readonly',
        Node: 'readonly',
      },
    },
  },
);
