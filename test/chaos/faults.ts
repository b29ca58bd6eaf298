/**
 * The faults the chaos run injects into the machine's shared engine and cluster. Each leaves the
 * piece as it was, as fast as it can: the engine is stopped and started with its own scripts
 * (infra/docker), the API server is killed and its supervisor (infra/cluster's `start`) runs it
 * again. Restarting the shared pieces interrupts every other test using them: the suite runs them
 * only where it is alone on the machine (CI), or when told to (KADAI_CHAOS_FAULTS).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { REPO_ROOT } from '../support/stack';

const run = (file: string, args: string[] = []) =>
  new Promise<void>((resolve, reject) =>
    execFile(file, args, { timeout: 180_000 }, (error, _stdout, stderr) => (error ? reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve())),
  );

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not back within ${timeoutMs} ms`);
}

/** kadai's Docker engine stopped (its containers with it) and started again, as infra/docker does it. */
export async function restartEngine(): Promise<void> {
  await run(`${REPO_ROOT}/infra/docker/down`);
  await run(`${REPO_ROOT}/infra/docker/up`);
}

const CLUSTER_RUN = '/run/kadai-cluster';
const insecure = new Agent({ rejectUnauthorized: false });
const apiServerReady = () =>
  new Promise<boolean>((resolve) => {
    const req = request('https://127.0.0.1:6443/readyz', { agent: insecure, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });

/**
 * The kube-apiserver process killed (SIGKILL: no graceful drain); its supervisor loop starts it
 * again after 2 s. Resolves once it answers /readyz again.
 */
export async function restartApiServer(): Promise<void> {
  const supervisor = readFileSync(`${CLUSTER_RUN}/kube-apiserver.pid`, 'utf8').trim();
  const children = readFileSync(`/proc/${supervisor}/task/${supervisor}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const server = children.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'kube-apiserver');
  if (!server) throw new Error(`no kube-apiserver under its supervisor (pid ${supervisor})`);
  process.kill(server, 'SIGKILL');
  await until('the API server stopping', async () => !(await apiServerReady()), 10_000);
  await until('the API server', apiServerReady, 120_000);
}
