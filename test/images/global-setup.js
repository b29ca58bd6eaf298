// Bring up Docker, the local registry and all stand-in images before the tests (idempotent).
const { execFileSync } = require('child_process');
const path = require('path');
module.exports = async () => {
  if (process.env.KADAI_IMAGES_SKIP_UP === '1') return;
  const up = path.resolve(__dirname, '../../infra/images/up');
  execFileSync('bash', [up], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 45 * 60 * 1000 });
};
