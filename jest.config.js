/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/__tests__/support/globalSetup.js',
  globalTeardown: '<rootDir>/__tests__/support/globalTeardown.js',
  // Child-process and PostgreSQL tests do real I/O; the default 5 s is for pure unit tests.
  testTimeout: 60000,
  maxWorkers: 2,
};
