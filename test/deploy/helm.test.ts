import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, deleteKeys, dropTestDatabase, freePort, REPO_ROOT, solutionAnswers } from '../support/stack';
import { compiledEntry } from '../support/compiled';
import Redis from 'ioredis';
import { Client } from 'pg';
import { expectSolutionGradedInFull, submitAndWait, type Call } from './submit';

/**
 * kadai as an operator deploys it: the production image (infra/deploy/image, pushed into kadai's
 * registry, pulled by the cluster's containerd), the chart installed with Helm built from its Go
 * module, PostgreSQL and Redis external by URL (the host's, a database and key prefix of this run),
 * a quiz worker, a Kubernetes worker given two grading clusters by kubeconfig Secrets and the Docker
 * worker's DaemonSet on kadai's engine of the node; then a quiz, a Kubernetes lab and a Docker lab
 * are submitted and graded through the chart's Ingress (the local cluster's kadai-ingress).
 */
const run = promisify(execFile);
const CHART = path.join(REPO_ROOT, 'deploy/helm/kadai');
const ADMIN_KUBECONFIG = `${process.env.KADAI_CLUSTER_STATE ?? '/var/lib/kadai/cluster'}/kubeconfig`;
const WORKER_KUBECONFIG = `${process.env.KADAI_CLUSTER_STATE ?? '/var/lib/kadai/cluster'}/kadai-worker.kubeconfig`;
const KUBECTL = '/var/cache/kadai/cluster/v1.34.4/bin/kubectl';
/** kadai-ingress, the local cluster's ingress controller, on the node's address (infra/cluster/README.md). */
const INGRESS = { host: '10.244.0.1', port: 8000 };
/** Its HTTPS address, where the certificate of an Ingress's `spec.tls` is served. */
const INGRESS_TLS = { host: '10.244.0.1', port: 8443 };
const RELEASE = 'kadai';
const NAMESPACE = `kadai-deploy-${process.pid}`;
const HOSTNAME = `kadai-${process.pid}.deploy.test`;
const REDIS_URL = `${process.env.KADAI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}/0`;
const QUEUE_PREFIX = `kadai-deploy-${process.pid}`;

let helm = '';
let image = '';
let databaseUrl = '';
let tokens: Record<string, string> = {};

const kubectl = (...args: string[]) => run(KUBECTL, ['--kubeconfig', ADMIN_KUBECONFIG, ...args], { maxBuffer: 64 << 20 });
const helmRun = (...args: string[]) => run(helm, ['--kubeconfig', ADMIN_KUBECONFIG, ...args], { maxBuffer: 64 << 20 });
const script = async (name: string) => (await run(path.join(REPO_ROOT, name), [], { maxBuffer: 64 << 20, timeout: 20 * 60_000 })).stdout.trim().split('\n').pop() ?? '';

/** One request to kadai through the Ingress: the controller picks the route by the Host header. */
function viaIngress(method: string, urlPath: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { ...INGRESS, method, path: urlPath, timeout: 30_000, headers: { host: HOSTNAME, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = { text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A request through the Ingress as student1. */
const asStudent: Call = (method, urlPath, body) => viaIngress(method, urlPath, tokens.student1, body);

beforeAll(async () => {
  // cached after the first run: Helm by version, the image by the hash of its inputs
  [helm, image] = await Promise.all([script('infra/deploy/helm'), script('infra/deploy/image')]);
  databaseUrl = await createTestDatabase('deploy');
}, 30 * 60_000);

afterAll(async () => {
  if (helm) await helmRun('uninstall', RELEASE, '--namespace', NAMESPACE, '--wait', '--timeout', '2m').catch(() => undefined);
  await kubectl('delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=false').catch(() => undefined);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await deleteKeys(redis, `${QUEUE_PREFIX}:*`).finally(() => redis.disconnect());
  if (databaseUrl) await dropTestDatabase(databaseUrl);
}, 180_000);

describe('the chart, statically', () => {
  test('helm lint passes with the values an install needs', async () => {
    const { stdout } = await helmRun('lint', CHART, '--strict', '--set', 'image.tag=x', '--set', 'externalServices.existingSecret=kadai-urls', '--set', 'workers.kubernetes.clusters[0].name=a', '--set', 'workers.kubernetes.clusters[0].secretName=kadai-a');
    expect(stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test('helm template refuses an install without an image tag, external services or a grading cluster, naming the setting', async () => {
    await expect(helmRun('template', CHART, '--set', 'externalServices.existingSecret=s')).rejects.toThrow(/image.tag is required/);
    await expect(helmRun('template', CHART, '--set', 'image.tag=x', '--set', 'workers.kubernetes.enabled=false')).rejects.toThrow(/PostgreSQL and Redis are external: set externalServices.existingSecret/);
    await expect(helmRun('template', CHART, '--set', 'image.tag=x', '--set', 'externalServices.existingSecret=s')).rejects.toThrow(/workers.kubernetes.clusters: name at least one/);
  });

  test('helm template renders one workload per lab kind, probes, non-root Pods and the Docker worker\'s privileges stated', async () => {
    const { stdout } = await helmRun('template', 'r', CHART, '--set', 'image.tag=t1', '--set', 'externalServices.existingSecret=s', '--set', 'workers.kubernetes.clusters[0].name=a', '--set', 'workers.kubernetes.clusters[0].secretName=ka', '--set', 'workers.kubernetes.clusters[1].name=b', '--set', 'workers.kubernetes.clusters[1].secretName=kb', '--set', 'workers.docker.enabled=true', '--set', 'workers.quiz.concurrency=12');
    const docs = stdout.split(/^---$/m).filter((d) => /^kind:/m.test(d));
    const kinds = docs.map((d) => `${/^kind: (\S+)/m.exec(d)?.[1]}/${/^ {2}name: (\S+)/m.exec(d)?.[1]}`);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment/r-kadai-api', 'Service/r-kadai-api', 'Ingress/r-kadai-api', 'PodDisruptionBudget/r-kadai-api', 'Job/r-kadai-migrate', 'Deployment/r-kadai-worker-quiz', 'Deployment/r-kadai-worker-kubernetes', 'DaemonSet/r-kadai-worker-docker']));
    const workload = (name: string) => docs.find((d) => /^kind: (Deployment|DaemonSet)$/m.test(d) && d.includes(`name: ${name}\n`)) ?? '';
    expect(workload('r-kadai-worker-quiz')).toMatch(/KADAI_WORKER_KINDS, value: quiz/);
    expect(workload('r-kadai-worker-quiz')).toMatch(/KADAI_CONCURRENCY_QUIZ, value: "12"/);
    expect(workload('r-kadai-worker-quiz')).toMatch(/runAsNonRoot: true/);
    expect(workload('r-kadai-api')).toMatch(/path: \/readyz/);
    expect(workload('r-kadai-api')).toMatch(/path: \/healthz/);
    // no Service link variables (KADAI_API_PORT=tcp://… from the api's Service broke `helm upgrade`'s migration Job)
    for (const d of docs.filter((d) => /^kind: (Deployment|DaemonSet|Job)$/m.test(d))) expect(d).toMatch(/enableServiceLinks: false/);
    expect(workload('r-kadai-worker-kubernetes')).toContain('/etc/kadai/clusters/a/kubeconfig,/etc/kadai/clusters/b/kubeconfig');
    const docker = workload('r-kadai-worker-docker');
    expect(docker).toMatch(/privileged: true/);
    expect(docker).toMatch(/hostPID: true/);
    expect(docker).toMatch(/runAsUser: 0/);
    expect(docker).toMatch(/kadai.dev\/docker-engine: "true"/);
  });

  test('labs.volume mounts the labs folder read-only into the api and every worker; without it they read the image\'s', async () => {
    const render = async (...values: string[]) => {
      const { stdout } = await helmRun('template', 'r', CHART, '--set', 'image.tag=t1', '--set', 'externalServices.existingSecret=s', '--set', 'workers.kubernetes.clusters[0].name=a', '--set', 'workers.kubernetes.clusters[0].secretName=ka', '--set', 'workers.docker.enabled=true', ...values);
      return stdout.split(/^---$/m).filter((d) => /^kind: (Deployment|DaemonSet)$/m.test(d));
    };
    const mounted = await render('--set-json', 'labs.volume={"persistentVolumeClaim":{"claimName":"kadai-labs","readOnly":true}}');
    expect(mounted).toHaveLength(4);
    for (const workload of mounted) {
      expect(workload).toContain('- { name: KADAI_LABS_DIR, value: "/labs" }');
      expect(workload).toContain('- { name: labs, mountPath: "/labs", readOnly: true }');
      expect(workload).toMatch(/- name: labs\n\s+persistentVolumeClaim:\n\s+claimName: kadai-labs/);
    }
    for (const workload of await render()) expect(workload).not.toMatch(/KADAI_LABS_DIR|name: labs/);
    // a workload's env map (or extraEnv) naming KADAI_LABS_DIR wins, as the one entry of that name
    const volume = ['--set-json', 'labs.volume={"emptyDir":{}}'];
    const overridden = await render(...volume, '--set', 'api.env.KADAI_LABS_DIR=/srv/labs', '--set', 'workers.quiz.env.KADAI_LABS_DIR=/srv/labs');
    const labsDirs = (workload: string) => [...workload.matchAll(/name: KADAI_LABS_DIR, value: "([^"]*)"/g)].map((m) => m[1]);
    const named = (name: string) => overridden.find((d) => d.includes(`name: ${name}\n`)) ?? '';
    expect(labsDirs(named('r-kadai-api'))).toEqual(['/srv/labs']);
    expect(labsDirs(named('r-kadai-worker-quiz'))).toEqual(['/srv/labs']);
    expect(labsDirs(named('r-kadai-worker-kubernetes'))).toEqual(['/labs']);
    const viaExtraEnv = await render(...volume, '--set-json', 'extraEnv=[{"name":"KADAI_LABS_DIR","value":"/srv/labs"}]');
    for (const workload of viaExtraEnv) expect(workload.match(/name: KADAI_LABS_DIR/g)).toHaveLength(1);
  });
});

describe('installed on the local cluster', () => {
  beforeAll(async () => {
    const [apiPort, quizMetrics, kubeMetrics, dockerMetrics] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await kubectl('create', 'namespace', NAMESPACE);
    await kubectl('-n', NAMESPACE, 'create', 'secret', 'generic', 'kadai-urls', `--from-literal=databaseUrl=${databaseUrl}`, `--from-literal=redisUrl=${REDIS_URL}`);
    // two grading clusters (both the local one, as kadai's fenced identity): attempts spread by free capacity
    for (const name of ['grading-a', 'grading-b']) await kubectl('-n', NAMESPACE, 'create', 'secret', 'generic', name, `--from-file=kubeconfig=${WORKER_KUBECONFIG}`);
    const values = mkdtempSync(path.join(tmpdir(), 'kadai-deploy-'));
    writeFileSync(
      path.join(values, 'values.json'),
      JSON.stringify({
        image: { repository: image.split(':')[0], tag: image.split(':')[1] },
        externalServices: { existingSecret: 'kadai-urls' },
        queuePrefix: QUEUE_PREFIX,
        // the local cluster's firewall keeps Pods off the host's PostgreSQL, Redis and API server
        hostNetwork: true,
        api: { replicas: 1, port: apiPort, podDisruptionBudget: { minAvailable: 0 }, ingress: { host: HOSTNAME }, resources: { requests: { cpu: '10m', memory: '64Mi' } } },
        workers: {
          quiz: { replicas: 1, concurrency: 4, metricsPort: quizMetrics, resources: { requests: { cpu: '10m', memory: '64Mi' } } },
          kubernetes: {
            replicas: 1,
            concurrency: 2,
            metricsPort: kubeMetrics,
            resources: { requests: { cpu: '10m', memory: '64Mi' } },
            clusters: [
              { name: 'grading-a', secretName: 'grading-a' },
              { name: 'grading-b', secretName: 'grading-b' },
            ],
          },
          // the node's engine is kadai's (infra/docker/up, with its BuildKit daemon, registry and package
          // mirror): the supported layout, without labelling the shared node (null removes Helm's default key)
          docker: { enabled: true, concurrency: 1, metricsPort: dockerMetrics, nodeSelector: { 'kadai.dev/docker-engine': null }, resources: { requests: { cpu: '10m', memory: '64Mi' } } },
        },
      }),
    );
    await helmRun('install', RELEASE, CHART, '--namespace', NAMESPACE, '-f', path.join(values, 'values.json'), '--wait', '--timeout', '6m');
    // the demo course, its users and tokens, into the database the migration Job made
    const tokensFile = path.join(values, 'tokens.json');
    await run(process.execPath, [compiledEntry('apps/api/src/seed-demo.ts'), tokensFile], { env: { ...process.env, KADAI_DATABASE_URL: databaseUrl, KADAI_LABS_DIR: path.join(REPO_ROOT, 'labs') } });
    tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as Record<string, string>;
    // the controller routes a new Ingress once its watch has seen it: usually at once, generously bounded here
    const routed = Date.now() + 90_000;
    while ((await viaIngress('GET', '/healthz').catch(() => ({ status: 0 }))).status !== 200 && Date.now() < routed) await new Promise((r) => setTimeout(r, 1000));
  }, 9 * 60_000);

  test('the migration Job made the schema before the api and workers started', async () => {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM pgmigrations');
    await db.end();
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
  });

  test('the api answers /readyz through the Ingress, and every Pod runs the image as a non-root user but the Docker worker, root as its values state', async () => {
    expect((await viaIngress('GET', '/readyz')).status).toBe(200);
    const { stdout } = await kubectl('-n', NAMESPACE, 'get', 'pods', '-l', `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component!=migrate`, '-o', 'jsonpath={range .items[*]}{.metadata.labels.app\\.kubernetes\\.io/component} {.spec.containers[0].image} {.spec.securityContext.runAsUser} {.status.phase}{"\\n"}{end}');
    const pods = stdout.trim().split('\n').sort();
    expect(pods).toEqual([...['api', 'worker-kubernetes', 'worker-quiz'].map((component) => `${component} ${image} 1000 Running`), `worker-docker ${image} 0 Running`].sort());
  });

  test('a quiz is graded end to end through the Ingress, in full', async () => {
    const view = await submitAndWait(asStudent, { lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') }, 120_000);
    expect(view).toMatchObject({ state: 'graded' });
    expect(view.score).toBe(view.maxScore);
  });

  test('a Kubernetes lab is graded on a grading cluster chosen by free capacity, every check passing', async () => {
    await expectSolutionGradedInFull(asStudent, 'k8s-configmap', 240_000);
    const workerLogs = (await kubectl('-n', NAMESPACE, 'logs', '-l', 'app.kubernetes.io/component=worker-kubernetes', '--tail=-1')).stdout;
    const chosen = workerLogs.split('\n').filter((line) => line.includes('grading cluster chosen by free capacity'));
    // one line per grading run (a run retried after an infrastructure blip logs its own)
    expect(chosen.length).toBeGreaterThanOrEqual(1);
    const entry = JSON.parse(chosen.at(-1) ?? '{}') as { cluster: string; capacities: { name: string; capacity: { freeMillicores?: number } }[] };
    expect(entry.capacities.map((c) => c.name)).toEqual(['/etc/kadai/clusters/grading-a/kubeconfig', '/etc/kadai/clusters/grading-b/kubeconfig']);
    for (const c of entry.capacities) expect(typeof c.capacity.freeMillicores).toBe('number');
  });
});

describe('the Docker worker\'s DaemonSet', () => {
  test('grades a Docker lab through the Ingress on the node\'s engine, every check passing, after verifying its sandbox limits', async () => {
    await expectSolutionGradedInFull(asStudent, 'docker-run-nginx', 240_000);
    const logs = (await kubectl('-n', NAMESPACE, 'logs', '-l', 'app.kubernetes.io/component=worker-docker', '--tail=-1')).stdout;
    expect(logs).toContain('docker sandbox limits verified (host isolation, build cgroup with pids limit, btrfs disk limits)');
  }, 300_000);
});

describe('served over TLS', () => {
  let certificate = '';
  beforeAll(async () => {
    // a certificate for the release's host name, as an operator's (or cert-manager's) Secret holds it
    const dir = mkdtempSync(path.join(tmpdir(), 'kadai-deploy-tls-'));
    const [key, cert] = [path.join(dir, 'tls.key'), path.join(dir, 'tls.crt')];
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', key, '-out', cert, '-subj', `/CN=${HOSTNAME}`, '-addext', `subjectAltName=DNS:${HOSTNAME}`]);
    certificate = readFileSync(cert, 'utf8');
    await kubectl('-n', NAMESPACE, 'create', 'secret', 'tls', 'kadai-tls', `--cert=${cert}`, `--key=${key}`);
    const values = path.join(dir, 'tls.json');
    writeFileSync(values, JSON.stringify({ api: { ingress: { tls: [{ secretName: 'kadai-tls', hosts: [HOSTNAME] }] } } }));
    await helmRun('upgrade', RELEASE, CHART, '--namespace', NAMESPACE, '--reuse-values', '-f', values, '--wait', '--timeout', '4m');
  }, 6 * 60_000);

  /** GET over HTTPS to the Ingress controller, trusting only the release's certificate and checking it names the host. */
  const viaTls = (urlPath: string) =>
    new Promise<{ status: number; subject: string }>((resolve, reject) => {
      const req = tlsRequest({ ...INGRESS_TLS, path: urlPath, servername: HOSTNAME, ca: certificate, headers: { host: HOSTNAME }, timeout: 30_000 }, (res) => {
        const subject = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, subject }));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: no answer within 30 s`)));
      req.on('error', reject);
      req.end();
    });

  test('after `helm upgrade` (its migration Job run again) with api.ingress.tls set, the Ingress serves kadai over HTTPS with the Secret\'s certificate', async () => {
    // the controller loads the Secret and the changed Ingress from its watch: usually at once, bounded here
    const deadline = Date.now() + 90_000;
    let answer = await viaTls('/readyz').catch((e: Error) => ({ status: 0, subject: e.message }));
    while (answer.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      answer = await viaTls('/readyz').catch((e: Error) => ({ status: 0, subject: e.message }));
    }
    expect(answer).toEqual({ status: 200, subject: HOSTNAME });
  });
});
