/**
 * `down` leaves no process, mount, iptables rule or bridge behind; `up` brings the cluster back.
 * It stops the cluster, so it runs only when asked: KADAI_CLUSTER_DOWN_TEST=1 (test/cluster/run
 * sets it for a last, separate jest run).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, run, stateDir } from './kube';

const repo = join(__dirname, '..', '..');
const runDir = '/run/kadai-cluster';
const enabled = process.env.KADAI_CLUSTER_DOWN_TEST === '1';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(text)) pids.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

(enabled ? test : test.skip)('down stops everything up started and cleans up; up restarts', async () => {
  const pids = readdirSync(runDir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(runDir, f), 'utf8')));
  expect(pids.length).toBeGreaterThanOrEqual(12);
  const shims = processesNaming(`-address ${runDir}/containerd.sock`);
  expect(shims.length).toBeGreaterThan(0); // some Pods run now
  // other KADAI- chains (kadai's Docker engine's firewall) are not the cluster's: they stay
  const othersChains = async () => (await run('iptables-save', [])).stdout.split('\n').filter((l) => /^:KADAI-(?!POD)/.test(l)).map((l) => l.split(' ')[0]);
  const othersBefore = await othersChains();

  const down = await run(join(repo, 'infra/cluster/down'), [], undefined, 180000);
  expect(down.code).toBe(0);

  expect(pids.filter(alive)).toEqual([]);
  expect(shims.filter(alive)).toEqual([]);
  expect(processesNaming(`-address ${runDir}/containerd.sock`)).toEqual([]);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(stateDir) || m.startsWith(runDir));
  expect(mounts).toEqual([]);
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    const rules = (await run(cmd, [])).stdout.split('\n').filter((l) => /(KUBE-|CNI-|KADAI-POD)/.test(l));
    expect(rules).toEqual([]);
  }
  expect(await othersChains()).toEqual(othersBefore);
  expect((await run('ip', ['link', 'show', 'kadai0'])).code).not.toBe(0);
  expect((await run('ip', ['route'])).stdout).not.toMatch(/10\.(96|244|245|250)\./);

  const up = await run(join(repo, 'infra/cluster/up'), [], undefined, 600000);
  expect(up.code).toBe(0);
  expect(up.stdout.trim().split('\n').pop()).toBe(`${stateDir}/kubeconfig`);
  expect(await kubectl(['get', 'node', 'kadai-control-plane', '--no-headers'])).toMatch(/\bReady\b/);
}, 900000);
