/**
 * The kubernetes grader end to end: the real api and worker grading on the local cluster
 * (infra/cluster/up) as kadai's fenced worker identity. Separate from the root config, which
 * ignores test/kubernetes: these need the cluster and minutes. Run: npx jest -c test/kubernetes/jest.config.js
 */
const esmDependencies = require('../../jest.esm.js');

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], ...esmDependencies.transform },
  transformIgnorePatterns: esmDependencies.transformIgnorePatterns,
  testMatch: ['<rootDir>/*.test.ts'],
  testTimeout: 300000,
  maxWorkers: 1,
  globalSetup: '<rootDir>/../support/reference-parsers.setup.ts',
};
