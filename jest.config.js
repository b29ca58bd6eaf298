/** One jest config for unit tests (beside the code) and integration tests (test/). */
const esmDependencies = require('./jest.esm.js');

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], ...esmDependencies.transform },
  transformIgnorePatterns: esmDependencies.transformIgnorePatterns,
  roots: ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/', '<rootDir>/test/images/', '<rootDir>/test/kubernetes/', '<rootDir>/test/browser/', '<rootDir>/test/chaos/', '<rootDir>/test/deploy/'],
  testTimeout: 30000,
  // The reference-parsers helper (Go) the docker grader reads Compose files and Dockerfiles with.
  globalSetup: '<rootDir>/test/support/reference-parsers.setup.ts',
};
