/**
 * Tests against the real local cluster (infra/cluster/up). Separate from the root config, which
 * ignores test/cluster: these need root, a running cluster and minutes, not seconds.
 * Run: npx jest -c test/cluster/jest.config.js   (files run one at a time; down.test.ts last
 * and only with KADAI_CLUSTER_DOWN_TEST=1, since it stops the cluster).
 */
module.exports = require('../support/suite-config')(__dirname, { testTimeout: 240000 });
