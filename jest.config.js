/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Workflow tests start a real Temporal dev server; give them room.
  testTimeout: 120_000,
  // The Temporal SDK's native runtime keeps handles open after the last test.
  forceExit: true,
  transform: { '^.+\\.ts$': 'ts-jest' },
};
