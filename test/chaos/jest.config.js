/**
 * The chaos suite: a mixed burst graded by the real api and workers while workers are SIGKILLed and
 * Redis, PostgreSQL, kadai's engine and the cluster's API server are restarted. Separate from the
 * root config (which ignores test/chaos): it needs the engine and the cluster, and it restarts
 * shared ones. Run: npx jest -c test/chaos/jest.config.js --forceExit
 */
module.exports = require('../support/suite-config')(__dirname, { testTimeout: 600000, referenceParsers: true });
