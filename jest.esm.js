/**
 * @kubernetes/client-node (1.x) and the openid-client stack it imports ship only as ES modules.
 * Node 20 requires them natively, but jest's module system does not: these are compiled to
 * CommonJS by swc like our own sources, and every other dependency is left alone.
 */
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];
module.exports = {
  transform: { '^.+\\.m?js$': ['@swc/jest', { module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};
