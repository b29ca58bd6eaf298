/**
 * The jest config of one suite folder under test/ that infra/test runs on its own (it needs
 * infrastructure the root config's suites do not): its *.test.ts files, one at a time.
 */
const esmDependencies = require('../../jest.esm.js');

module.exports = function suiteConfig(dir, { testTimeout, referenceParsers = false }) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': ['@swc/jest'], ...esmDependencies.transform },
    transformIgnorePatterns: esmDependencies.transformIgnorePatterns,
    testMatch: ['<rootDir>/*.test.ts'],
    testTimeout,
    maxWorkers: 1,
    // the Go helper the docker grader parses with (built once, cached by source hash)
    ...(referenceParsers ? { globalSetup: '<rootDir>/../support/reference-parsers.setup.ts' } : {}),
  };
};
