// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers, enforced: what each part may import. Ports are owned by the core (src/domain); adapters sit at the
 * edge; only the composition root (src/main.ts, src/app.ts) and the CLI see everything.
 */
const zone = (target, from, message, except = []) => ({ target, from, except, message });
const layers = [
  zone('./src/domain', './src', 'src/domain imports nothing of the rest of Kairos: it is the core', ['./domain']),
  // Detection is pure: posts in, verdicts out. What it reads of the configuration it declares itself (TrendsConfig),
  // and it logs through the domain's Logger; the composition root hands both in.
  zone('./src/detect', './src', 'src/detect imports only src/detect and src/domain', ['./detect', './domain']),
  // The analysts read a post as detection does (its language, its event words) through the domain's TextReading,
  // which the composition root hands in with the calendar; their settings they declare themselves (LlmSettings).
  zone('./src/analyse', './src', 'src/analyse imports only src/analyse and src/domain', ['./analyse', './domain']),
  zone('./src/store', './src', 'a store adapter imports only src/domain', ['./store', './domain']),
  // Nothing below the composition root reaches up into it, or into the slash commands.
  zone('./src/*/**', './src/main.ts', 'main.ts is the composition root: nothing below it imports it'),
  zone('./src/*/**', './src/app.ts', 'app.ts is the composition root: nothing below it imports it'),
  zone('./src/*/**', './commands', 'the slash commands are handed in from the composition root; nothing in src imports them'),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'docs/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layers }],
      // Discord's shapes stay in the Discord adapter and its commands.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'discord.js', message: 'Discord shapes stay in src/discord and commands/' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Sanitisers strip control characters on purpose.
      'no-control-regex': 'off',
      // Errors are rethrown with the cause's message in a sentence that says what to do.
      'preserve-caught-error': 'off',
      // Mention guards match zero-width characters around an @ on purpose.
      'no-misleading-character-class': 'off',
      // The feature writer's put(i++, …) idiom.
      'no-useless-assignment': 'off',
    },
  },
  {
    // Plain Node scripts (the build).
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src/discord/**', 'commands/**', 'test/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
