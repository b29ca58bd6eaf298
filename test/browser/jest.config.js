/**
 * The web pages in Debian's Chromium (infra/browser/install) through playwright-core, against the
 * real api, worker, PostgreSQL and Redis. Separate from the root config: it needs the browser.
 * Run: npx jest -c test/browser/jest.config.js --forceExit
 */
module.exports = require('../support/suite-config')(__dirname, { testTimeout: 60000, referenceParsers: true });
