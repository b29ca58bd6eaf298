/** Helpers for the cluster tests: kubectl with the kubeconfig `infra/cluster/up` prints. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { pollUntil } from '@kadai/checks';

const K8S_VERSION = 'v1.34.4';
const cacheDir = process.env.KADAI_CACHE_DIR ?? '/var/cache/kadai/cluster';
export const stateDir = process.env.KADAI_CLUSTER_STATE ?? '/var/lib/kadai/cluster';
export const kubeconfig = process.env.KADAI_KUBECONFIG ?? `${stateDir}/kubeconfig`;
/** kadai's fenced grading identity (infra/cluster/manifests/kadai-worker.yaml), not cluster-admin. */
export const workerKubeconfig = `${stateDir}/kadai-worker.kubeconfig`;
const builtKubectl = `${cacheDir}/${K8S_VERSION}/bin/kubectl`;
export const kubectlBin = existsSync(builtKubectl) ? builtKubectl : 'kubectl';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: string[], input?: string, timeoutMs = 120000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** kubectl …; throws with its stderr when it fails. */
export async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** kubectl as kadai's worker identity; resolves with the result whatever the exit code. */
export const kubectlAsWorker = (args: string[], input?: string) => run(kubectlBin, ['--kubeconfig', workerKubeconfig, ...args], input);

export async function kubectlJson<T = any>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

export const apply = (ns: string, manifest: string) => kubectl(['apply', '-n', ns, '-f', '-'], manifest);

/** Polls fn until it returns a truthy value; throws with the last observation's error (or a timeout) otherwise. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120000, everyMs = 1000): Promise<T> {
  const polled = await pollUntil<{ value?: T | undefined | false; error?: unknown }>({
    timeoutMs,
    intervalMs: everyMs,
    observe: () => fn().then((value) => ({ value }), (error: unknown) => ({ error })),
    judge: (seen) => (seen.value ? 'done' : 'again'),
  });
  if (polled.ok) return polled.last!.value as T;
  const error = polled.last?.error;
  throw new Error(`timed out waiting for ${what}${error ? `: ${String(error)}` : ''}`);
}

/** A fresh namespace per test file, deleted afterwards (without waiting). */
export async function makeNamespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', ns]);
  return ns;
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run(kubectlBin, ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--wait=false']);
}

/**
 * HTTP GET from the host over a fresh connection each time (so a Service spreads requests over
 * its Pods, and a Host header can be set); status 0 when it cannot connect.
 */
export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve) => {
    const req = request(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', () => resolve({ status: 0, body: '', headers: {} }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '', headers: {} }));
    req.end();
  });
}

/** The node's address on the Pod bridge: CoreDNS, the Ingress controller and every host service a Pod might try. */
export const NODE_IP = '10.244.0.1';

/**
 * A busybox Pod that sleeps, to run probes from with `kubectl exec`. Always pulled: containerd keeps
 * a tag it has, and a stand-in older than the registry's once had an `nc` without `-z` (every
 * connection probe failed, allowed or not).
 */
export const probePodManifest = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: probe, image: ${images.busybox}, imagePullPolicy: Always, command: [sleep, "3600"]}]
`;

/** An echo-server Deployment with a Service of the same name (port 80 → 8080). */
export const echoAppManifest = (name: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: echo, image: ${images.echo}, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 8080}]
`;

/**
 * From inside a Pod: does a TCP connection to host:port open within 3 s? (busybox nc; `kubectl
 * exec` runs as whoever the kubeconfig is.) Exit 0 = connected.
 */
export async function canConnect(exec: (args: string[]) => Promise<RunResult>, namespace: string, pod: string, host: string, port: number): Promise<boolean> {
  const r = await exec(['exec', '-n', namespace, pod, '--', 'nc', '-z', '-w', '3', host, String(port)]);
  return r.code === 0;
}

export const images = {
  echo: process.env.KADAI_TEST_ECHO_IMAGE ?? 'kicbase/echo-server:1.0',
  busybox: process.env.KADAI_TEST_BUSYBOX_IMAGE ?? 'busybox:1.36',
  nginx121: 'nginx:1.21',
  nginx122: 'nginx:1.22',
};
