import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { layerRules } from './scripts/layers.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.onebox/', 'coverage/', '**/cdk.out/', 'examples/demo/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }] },
  },
  {
    // The dashboard's browser modules (type-checked by src/admin/dashboard/tsconfig.json).
    files: ['src/admin/dashboard/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The demo app: browser code, and Lambda handlers on Node (fetch is a global there).
    files: ['examples/demo/src/web/browser.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['examples/demo/**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  // The layer graph of src/ (scripts/layers.mjs).
  ...layerRules(),
);
