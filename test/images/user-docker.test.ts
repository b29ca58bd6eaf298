import { createHash } from 'crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { docker, REPO, sh } from './helpers';

// Issue 7, item 10: kadai never touches a user's Docker. Its grading engine is its own dockerd (own
// socket, data root, config, bridge) and the stand-ins live there only. Bringing kadai's engine and
// images up again must leave the machine's Docker exactly as it was: its daemon.json, its image
// tags and its containers (read from its files, so this holds whether or not that daemon runs).
const USER_DOCKER = { config: '/etc/docker/daemon.json', root: '/var/lib/docker' };
const KADAI_STATE = process.env.KADAI_STATE_DIR ?? '/var/lib/kadai';

function fingerprint() {
  const hashOf = (file: string) => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'absent');
  const listOf = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const imageStore = `${USER_DOCKER.root}/image`;
  return {
    daemonJson: hashOf(USER_DOCKER.config),
    daemonJsonModified: existsSync(USER_DOCKER.config) ? statSync(USER_DOCKER.config).mtimeMs : null,
    imageTags: listOf(imageStore).map((driver) => [driver, hashOf(`${imageStore}/${driver}/repositories.json`)]),
    containers: listOf(`${USER_DOCKER.root}/containers`),
    userDaemonRunning: existsSync('/var/run/docker.sock') && statSync('/var/run/docker.sock').isSocket() ? 'socket present' : 'no socket',
  };
}

test("bringing kadai's engine and stand-in images up leaves the machine's own Docker as it was", async () => {
  const before = fingerprint();
  await sh('bash', [`${REPO}/infra/images/up`], { timeoutMs: 20 * 60_000 });
  expect(fingerprint()).toEqual(before);
});

test("kadai's engine is a daemon of its own: its socket, data root and config are not the machine Docker's", async () => {
  const info = JSON.parse(await docker(['info', '--format', '{{json .}}'])) as { DockerRootDir: string; Name: string };
  expect(info.DockerRootDir).not.toBe(USER_DOCKER.root);
  expect(info.DockerRootDir.startsWith(`${KADAI_STATE}/`)).toBe(true);
  // the process answering on kadai's socket reads kadai's config file, never /etc/docker/daemon.json
  const engines = (await sh('pgrep', ['-a', 'dockerd'])).stdout.split('\n').filter((l) => l.includes(`${KADAI_STATE}/`));
  expect(engines.length).toBeGreaterThan(0);
  for (const line of engines) expect(line).not.toContain(USER_DOCKER.config);
});
