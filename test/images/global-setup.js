// Bring up Docker, the local registry and all stand-in images before the tests (idempotent), and
// remove containers that an interrupted earlier run of these tests left behind (their names carry
// the pid of the jest process that started them), since they would pin images the tests remove.
const { execFileSync } = require('child_process');
const path = require('path');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

module.exports = async () => {
  // kadai's own engine (infra/docker/engine.sh), for the docker calls below and every test
  process.env.DOCKER_HOST ??= 'unix:///run/kadai/docker.sock';
  if (process.env.KADAI_IMAGES_SKIP_UP !== '1') {
    const up = path.resolve(__dirname, '../../infra/images/up');
    execFileSync('bash', [up], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 45 * 60 * 1000 });
  }
  const names = execFileSync('docker', ['ps', '-a', '--filter', 'name=kadai-imgtest-', '--format', '{{.Names}}'], { encoding: 'utf8' });
  const orphans = names.split('\n').filter((name) => {
    const pid = Number(/^kadai-imgtest-(\d+)-/.exec(name)?.[1]);
    return pid && !alive(pid);
  });
  if (orphans.length > 0) execFileSync('docker', ['rm', '-f', ...orphans], { stdio: 'ignore' });
};
