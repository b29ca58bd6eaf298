/**
 * kadai deployed by its Helm chart on the local cluster (test/deploy/README.md): builds Helm and
 * kadai's image (cached, keyed by version and inputs), installs the chart, grades through its Ingress.
 * Separate from the root config: it needs root, kadai's engine and registry, the cluster, and minutes.
 * Run: npx jest -c test/deploy/jest.config.js --forceExit
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
};
