import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT, solutionAnswers } from '../support/stack';
import { expectSolutionGradedInFull, submitAndWait, type Call } from './submit';

/**
 * docker-compose.yaml started and graded through, as a user whose Docker can pull images would run
 * it (infra/compose/README.md): the images infra/compose/images builds (kadai's production image,
 * kadai's engine and patched buildkitd, kadai's registry, the postgres:15 and redis:7 stand-ins),
 * Compose v2 (infra/compose/cli) against kadai's own engine under a project name of this run, with
 * infra/compose/kadai-engine.yaml for what kadai's engine needs (a kd- bridge; worker-kubernetes on
 * the host's network to reach the local cluster's API server; the way out to the package indexes for
 * the file's package mirror). A quiz, two Docker labs (graded on the Compose file's own engine: one
 * that runs an image, one whose build pip-installs through the file's package mirror) and a
 * Kubernetes lab (the local cluster, kadai's fenced worker identity) are graded through the api;
 * `docker compose down -v` leaves nothing of the project.
 */
const run = promisify(execFile);
const ENGINE = 'unix:///run/kadai/docker.sock';
const PROJECT = `kadai-compose-test-${process.pid}`;
const WORKER_KUBECONFIG = `${process.env.KADAI_CLUSTER_STATE ?? '/var/lib/kadai/cluster'}/kadai-worker.kubeconfig`;
/** What the Docker labs' run lines and builds and the worker's probe build start from, pushed into the project's registry. */
const LAB_IMAGES = [
  ['nginx:latest', 'library/nginx:latest'],
  ['busybox:1.36', 'library/busybox:1.36'],
  ['python:3.10-slim', 'library/python:3.10-slim'],
] as const;

const scratch = mkdtempSync(path.join(tmpdir(), 'kadai-compose-'));
let compose = '';
let env: NodeJS.ProcessEnv = {};
let apiPort = 0;
let tokens: Record<string, string> = {};

const docker = (...args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_HOST: ENGINE }, maxBuffer: 64 << 20 });
const composeRun = (...args: string[]) =>
  run(compose, ['-p', PROJECT, '-f', 'docker-compose.yaml', '-f', 'infra/compose/kadai-engine.yaml', '--profile', 'kubernetes', ...args], { cwd: REPO_ROOT, env, maxBuffer: 64 << 20, timeout: 10 * 60_000 });
const script = async (name: string, timeoutMs: number) => (await run(path.join(REPO_ROOT, name), [], { maxBuffer: 64 << 20, timeout: timeoutMs })).stdout.trim();
/** Containers, volumes and networks of this run's project that are still on kadai's engine. */
const projectLeftovers = async () =>
  (await Promise.all(['ps -a', 'volume ls', 'network ls'].map(async (list) => (await docker(...list.split(' '), '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`)).stdout.trim())))
    .filter(Boolean);

/** A request to the Compose file's api as student1. */
const asStudent: Call = async (method, urlPath, body) => {
  const response = await fetch(`http://127.0.0.1:${apiPort}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${tokens.student1 ?? ''}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  // cached after the first run: the CLI by version, each image by its inputs
  compose = await script('infra/compose/cli', 5 * 60_000);
  const images = Object.fromEntries(
    (await script('infra/compose/images', 25 * 60_000))
      .split('\n')
      .filter((line) => /^KADAI_(\w+_)?IMAGE=/.test(line))
      .map((line) => line.split('=') as [string, string]),
  );
  // worker-kubernetes runs as uid 1000: its kubeconfig must be readable by it (a copy of kadai's fenced identity)
  const kubeconfig = path.join(scratch, 'kubeconfig');
  copyFileSync(WORKER_KUBECONFIG, kubeconfig);
  chmodSync(kubeconfig, 0o644);
  apiPort = await freePort();
  const registryPort = await freePort();
  env = {
    ...process.env,
    ...images,
    DOCKER_HOST: ENGINE,
    KADAI_COMPOSE_API_PORT: String(apiPort),
    KADAI_COMPOSE_REGISTRY_PORT: String(registryPort),
    KADAI_COMPOSE_POSTGRES_PORT: String(await freePort()),
    KADAI_COMPOSE_REDIS_PORT: String(await freePort()),
    KADAI_COMPOSE_KUBE_METRICS_PORT: String(await freePort()),
    KADAI_COMPOSE_BRIDGE: `kd-cmp${process.pid}`.slice(0, 15),
    KADAI_COMPOSE_SEED_DIR: scratch,
    KADAI_KUBECONFIG_FILE: kubeconfig,
  };
  // the registry first: the lab's base images go into it (on a user's machine: docker pull + push)
  await composeRun('up', '--detach', '--wait', 'registry');
  for (const [image, repository] of LAB_IMAGES) {
    const target = `127.0.0.1:${registryPort}/${repository}`;
    await docker('tag', image, target);
    await docker('push', '--quiet', target);
    await docker('rmi', target);
  }
  await composeRun('up', '--detach', '--wait');
  // the way out to the package indexes for the file's package mirror (kadai-engine.yaml says why here only)
  await docker('network', 'connect', 'bridge', (await composeRun('ps', '--quiet', 'engine')).stdout.trim());
  await composeRun('--profile', 'seed', 'run', '--rm', 'seed');
  tokens = JSON.parse(readFileSync(path.join(scratch, 'demo-tokens.json'), 'utf8')) as Record<string, string>;
}, 30 * 60_000);

afterAll(async () => {
  if (compose) await composeRun('--profile', 'seed', 'down', '--volumes', '--remove-orphans', '--timeout', '30').catch((error: Error) => console.error(error.message));
  rmSync(scratch, { recursive: true, force: true });
}, 180_000);

test('Compose v2 accepts docker-compose.yaml with every profile, and the resolved file holds what grading needs', async () => {
  const { stdout } = await run(path.join(REPO_ROOT, 'infra/compose/check'), [], { maxBuffer: 16 << 20 });
  expect(stdout).toMatch(/docker-compose.yaml: .*: ok/);
});

test('the api runs kadai\'s production image as uid 1000: compiled JavaScript, no tsx', async () => {
  const { stdout: id } = await composeRun('exec', '-T', 'api', 'id', '-u');
  expect(id.trim()).toBe('1000');
  const { stdout: files } = await composeRun('exec', '-T', 'api', 'sh', '-c', 'ls apps/api/src/main.js; ls node_modules/tsx 2>&1 || true');
  expect(files).toMatch(/apps\/api\/src\/main\.js/);
  expect(files).toMatch(/No such file or directory/);
});

test('a quiz is graded through the api, in full', async () => {
  const view = await submitAndWait(asStudent, { lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') }, 120_000);
  expect(view).toMatchObject({ state: 'graded' });
  expect(view.score).toBe(view.maxScore);
});

test('a Docker lab is graded on the Compose file\'s own engine, every check passing', async () => {
  await expectSolutionGradedInFull(asStudent, 'docker-run-nginx', 300_000);
  // the student's image came from the project's registry into the nested engine, not kadai's own
  const { stdout } = await composeRun('exec', '-T', 'engine', 'docker', '--host', 'unix:///run/kadai/docker.sock', 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}');
  expect(stdout.split('\n')).toContain('nginx:latest');
  // before grading, the worker's safety check passed on this engine: a probe build on the project's
  // buildkitd whose RUN step found itself in an attempt-style build cgroup with its pids limit
  const { stdout: logs } = await composeRun('logs', '--no-color', 'worker');
  expect(logs).toContain('docker sandbox limits verified (host isolation, build cgroup with pids limit, btrfs disk limits)');
}, 360_000);

test('a Docker lab whose build installs packages is graded through the Compose file\'s package mirror, every check passing', async () => {
  // its Dockerfile runs `pip install -r requirements.txt` (flask) on python:3.10-slim, which holds
  // nothing but pip: the app answers only if the build got flask from the index
  await expectSolutionGradedInFull(asStudent, 'docker-python-app', 300_000);
  // through the project's own mirror (its cache volume holds flask's wheel), not the machine's
  const { stdout } = await composeRun('exec', '-T', 'package-mirror', 'find', '/var/cache/kadai/package-mirror', '-name', 'flask-*.whl');
  expect(stdout).toMatch(/\/flask-[\d.]+-py3-none-any\.whl$/m);
}, 360_000);

test('a Kubernetes lab is graded on the local cluster by the kubernetes profile\'s worker, every check passing', async () => {
  await expectSolutionGradedInFull(asStudent, 'k8s-configmap', 300_000);
}, 360_000);

test('`docker compose down --volumes` leaves no container, volume, network or cgroup of the project behind', async () => {
  expect(await projectLeftovers()).not.toEqual([]);
  await composeRun('--profile', 'seed', 'down', '--volumes', '--remove-orphans', '--timeout', '30');
  expect(await projectLeftovers()).toEqual([]);
  // the engine's containers' cgroup parent in the machine's tree (the engine removes it as it stops)
  expect(existsSync('/sys/fs/cgroup/pids/kadai-compose-engine')).toBe(false);
}, 120_000);
