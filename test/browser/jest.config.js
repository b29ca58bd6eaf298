/**
 * The web pages in Debian's Chromium (infra/browser/install) through playwright-core, against the
 * real api, worker, PostgreSQL and Redis. Separate from the root config: it needs the browser.
 * Run: npx jest -c test/browser/jest.config.js --forceExit
 */
const esmDependencies = require('../../jest.esm.js');

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], ...esmDependencies.transform },
  transformIgnorePatterns: esmDependencies.transformIgnorePatterns,
  testMatch: ['<rootDir>/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 1,
  globalSetup: '<rootDir>/../support/reference-parsers.setup.ts',
};
