/**
 * kadai deployed by its Helm chart on the local cluster (test/deploy/README.md): builds Helm and
 * kadai's image (cached, keyed by version and inputs), installs the chart, grades through its Ingress.
 * Separate from the root config: it needs root, kadai's engine and registry, the cluster, and minutes.
 * Run: npx jest -c test/deploy/jest.config.js --forceExit
 */
module.exports = require('../support/suite-config')(__dirname, { testTimeout: 300000 });
