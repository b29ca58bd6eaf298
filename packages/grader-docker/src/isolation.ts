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
 * Both families: IPv4 (iptables) and IPv6 (ip6tables) — the engine gives attempt networks no IPv6
 * addresses, but a container still has a link-local fe80:: address and the host one on the bridge.
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

/** The firewalls the rules go in: every address family a container could reach the host over. */
export const HOST_ISOLATION_BINS = ['iptables', 'ip6tables'] as const;

/** Installs the two INPUT rules in each family once (idempotent: checked with -C first). Throws when it cannot. */
export async function ensureHostIsolation(bins: readonly string[] = HOST_ISOLATION_BINS): Promise<void> {
  for (const bin of bins) {
    // Insert in reverse so that the ACCEPT of replies ends up first.
    for (const rule of [...RULES].reverse()) {
      if ((await iptables(bin, ['-C', 'INPUT', ...rule])).ok) continue;
      const added = await iptables(bin, ['-I', 'INPUT', '1', ...rule]);
      if (!added.ok) throw new Error(`cannot add the ${bin} INPUT rule "${rule.join(' ')}": ${added.stderr.trim()}`);
    }
  }
}

/**
 * The build network's bridge interface: a kd- name, so the INPUT rules above cover it too. Not
 * `kd-build`, the bridge of the earlier build network with open egress (another engine still
 * running older code would take that interface over).
 */
export const BUILD_BRIDGE = `${BRIDGE_PREFIX}builds`;

/** The first address of an IPv4 subnet (`10.203.0.0/24` → `10.203.0.1`): the bridge's gateway. */
export function gatewayOf(subnet: string): string {
  const [base] = subnet.split('/');
  const octets = (base ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 subnet: ${subnet}`);
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

/**
 * The network builds run on: bridge kd-builds with a fixed subnet, so the package mirror can listen on
 * its gateway and the firewall (build-egress.ts) can name both. Shared by all builds; created once,
 * labelled kadai.infra (not kadai.submission: the reaper leaves it alone). One made earlier with
 * another subnet is replaced.
 */
export async function ensureBuildNetwork(docker: Docker, name: string, subnet: string): Promise<void> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as { IPAM?: { Config?: Array<{ Subnet?: string }> } };
    if (info.IPAM?.Config?.some((c) => c.Subnet === subnet)) return;
    await docker.getNetwork(name).remove();
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { 'kadai.infra': 'build' },
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gatewayOf(subnet) }] },
      Options: { 'com.docker.network.bridge.name': BUILD_BRIDGE },
    });
  } catch (error) {
    if (statusOf(error) !== 409) throw error; // another worker made it first
  }
}
