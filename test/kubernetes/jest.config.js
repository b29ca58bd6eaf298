/**
 * The kubernetes grader end to end: the real api and worker grading on the local cluster
 * (infra/cluster/up) as kadai's fenced worker identity. Separate from the root config, which
 * ignores test/kubernetes: these need the cluster and minutes. Run: npx jest -c test/kubernetes/jest.config.js
 */
module.exports = require('../support/suite-config')(__dirname, { testTimeout: 300000, referenceParsers: true });
