/**
 * The chaos suite: a mixed burst graded by the real api and workers while workers are SIGKILLed and
 * Redis, PostgreSQL, kadai's engine and the cluster's API server are restarted. Separate from the
 * root config (which ignores test/chaos): it needs the engine and the cluster, and it restarts
 * shared ones. Run: npx jest -c test/chaos/jest.config.js --forceExit
 */
const esmDependencies = require('../../jest.esm.js');

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], ...esmDependencies.transform },
  transformIgnorePatterns: esmDependencies.transformIgnorePatterns,
  testMatch: ['<rootDir>/*.test.ts'],
  testTimeout: 600000,
  maxWorkers: 1,
  globalSetup: '<rootDir>/../support/reference-parsers.setup.ts',
};
