/** Jest in native-ESM mode (run with NODE_OPTIONS=--experimental-vm-modules), TypeScript through swc. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', tsx: true, decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
    },
    module: { type: 'es6' },
  },
];
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: {
    '^@beacon/runner$': '<rootDir>/apps/runner/src/index.ts',
    '^@beacon/migrations$': '<rootDir>/migrations/index.ts',
    '^@beacon/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.tsx?$': swc },
};
export default {
  // Global, not per project: Jest ignores testTimeout inside `projects`.
  testTimeout: 120000,
  // Two test files at a time. On the 2 cores CI has, Jest's default is one worker, and most integration suites spend
  // their time waiting on a daemon, Postgres or a browser: the whole suite took 2,080 s with one worker and 1,011 s with
  // two, all passing. Tests bounded in time (event-loop delay under floods, latency p99s) collect enough samples
  // whatever the load, rather than in a fixed time.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts?(x)', '<rootDir>/test/unit/**/*.spec.ts?(x)'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int-spec.ts?(x)'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
  ],
};
