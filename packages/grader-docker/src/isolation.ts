import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { statusOf } from './engine';

/**
 * Attempt networks are internal bridges: no route out. But the host has an address on each bridge,
 * and traffic from a container to the host goes through the host's INPUT chain, not FORWARD, so
 * Docker's isolation rules do not stop it: a container could reach any service the host listens on
 * (a Kubernetes API server, a kubelet, databases on 0.0.0.0). kadai names its bridges `kd-…` and
 * drops everything they send to the host except replies to connections the host opened (its probes).
 */
export const BRIDGE_PREFIX = 'kd-';

/** The Linux interface name of an attempt's bridge (15 characters at most). */
export function bridgeName(networkName: string): string {
  return `${BRIDGE_PREFIX}${createHash('sha256').update(networkName).digest('hex').slice(0, 12)}`;
}

const RULES: string[][] = [
  // evaluated in this order: replies to the host's own connections pass, everything else is dropped
  ['-i', `${BRIDGE_PREFIX}+`, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
  ['-i', `${BRIDGE_PREFIX}+`, '-j', 'DROP'],
];

function iptables(bin: string, args: string[]): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, ['-w', '10', ...args], { timeout: 20_000 }, (error, _stdout, stderr) => resolve({ ok: !error, stderr: String(stderr) }));
  });
}

/** Installs the two INPUT rules once (idempotent: checked with -C first). Throws when it cannot. */
export async function ensureHostIsolation(bin = 'iptables'): Promise<void> {
  // Insert in reverse so that the ACCEPT of replies ends up first.
  for (const rule of [...RULES].reverse()) {
    if ((await iptables(bin, ['-C', 'INPUT', ...rule])).ok) continue;
    const added = await iptables(bin, ['-I', 'INPUT', '1', ...rule]);
    if (!added.ok) throw new Error(`cannot add the INPUT rule "${rule.join(' ')}": ${added.stderr.trim()}`);
  }
}

/**
 * The network builds run on: with egress (package installs need it) but on a kd-… bridge, so the
 * INPUT rules keep RUN steps away from the host's own services too. Shared by all builds; created
 * once, labelled kadai.infra (not kadai.submission: the reaper leaves it alone).
 */
export async function ensureBuildNetwork(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getNetwork(name).inspect();
    return;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  try {
    await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { 'kadai.infra': 'build' }, Options: { 'com.docker.network.bridge.name': `${BRIDGE_PREFIX}build` } });
  } catch (error) {
    if (statusOf(error) !== 409) throw error; // another worker made it first
  }
}
