/**
 * Integration tests of kadai's local stand-in images (infra/images). They talk to the real Docker
 * engine and the local registry; globalSetup runs infra/images/up (idempotent) first.
 *   npx jest -c test/images/jest.config.js
 */
const path = require('path');
module.exports = {
  rootDir: path.resolve(__dirname, '../..'),
  roots: ['<rootDir>/test/images'],
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/images/global-setup.js',
  testTimeout: 120000,
  maxWorkers: 1,
};
