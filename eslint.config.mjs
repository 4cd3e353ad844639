// Lint: typescript-eslint's recommended type-checked rules (the async mistakes that lose a
// message: floating and misused promises) plus the strict rules that pay in this code base.
import tseslint from 'typescript-eslint';

/** The rules that flag reading through `any`, off where a block below says why. */
const UNTYPED_OFF = {
  '@typescript-eslint/no-explicit-any': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'src/console/public/**', 'src/simulator/public/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Stores and fakes implement async interfaces without always awaiting: not a defect here.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The console (Preact): async event handlers in JSX attributes are the norm there; each one
    // reports its own failure through attempt() / flash, so a returned promise is not lost.
    files: ['src/console/app/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  // Everything else is typed: declared table rows (src/db/tables.ts), zod-parsed input, typed
  // API responses. The files below still read untyped rows or JSON through `any`; each block
  // says why, and a file leaves its list once its rows are typed.
  {
    // Stores and read models whose queries join or alias tables, or whose row mappers are not yet
    // typed by src/db/tables.ts (a mapper takes `any`).
    files: [
      'src/domain/conversation/card-refresh.ts',
      'src/domain/conversation/notifications.ts',
      'src/domain/conversation/replies.ts',
      'src/domain/conversation/review-extras.ts',
      'src/domain/conversation/review.ts',
      'src/domain/conversation/states.ts',
      'src/domain/conversation/views.ts',
      'src/domain/followup/service.ts',
      'src/domain/outbox/contacts.ts',
      'src/domain/outbox/store.ts',
      'src/domain/reports/workorders.ts',
      'src/wecom/media.ts',
      'src/db/leased-queue.ts',
    ],
    rules: UNTYPED_OFF,
  },
  {
    // Untyped boundaries: knex's SQLite dialect class (it ships no types), the route table's
    // handler signatures (one generic `route()` erases each route's schema types), the
    // simulator page's JSON, the parse worker's global hook, and the bench's IPC messages.
    files: [
      'src/db/knex.ts',
      'src/http/api/framework.ts',
      'src/http/api/index.ts',
      'src/http/api/workorders.ts',
      'src/simulator/page.ts',
      'src/parsing/worker.ts',
      'bench/**/*.ts',
    ],
    rules: UNTYPED_OFF,
  },
  {
    // XML and JSON from WeCom (and the fake's echo of it) are parsed into `unknown` values that
    // are stringified as they come; the strings are what WeCom sent.
    files: ['src/wecom/client.ts', 'src/wecom/callback/envelope.ts', 'src/simulator/fake-wecom.ts', 'src/domain/import/readers.ts'],
    rules: {
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Tests read rows and API responses through `any` on purpose: the assertion is the check.
    files: ['test/**/*.ts'],
    rules: { ...UNTYPED_OFF, '@typescript-eslint/no-base-to-string': 'off' },
  },
);
