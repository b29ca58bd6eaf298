import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { statusOf } from './engine';
import { ensureChains, mirrorAccept, type ChainRules } from './firewall-chain';

/**
 * Attempt networks are internal bridges: no route out. But the host has an address on each bridge,
 * and traffic from a container to the host goes through the host's INPUT chain, not FORWARD, so
 * Docker's isolation rules do not stop it: a container could reach any service the host listens on
 * (a Kubernetes API server, a kubelet, databases on 0.0.0.0). kadai names its bridges `kd-…` and
 * drops everything they send to the host except replies to connections the host opened (its probes).
 * Both families: IPv4 (iptables) and IPv6 (ip6tables) — the engine gives attempt networks no IPv6
 * addresses, but a container still has a link-local fe80:: address and the host one on the bridge.
 * Checked before every attempt to take effect, not merely to exist (ensureHostIsolation).
 */
export const BRIDGE_PREFIX = 'kd-';

/** The Linux interface name of an attempt's bridge (15 characters at most). */
export function bridgeName(networkName: string): string {
  return `${BRIDGE_PREFIX}${createHash('sha256').update(networkName).digest('hex').slice(0, 12)}`;
}

/** Replies to the host's own connections (its probes of the containers) pass: as `iptables -S` prints it. */
export const HOST_REPLIES = `-i ${BRIDGE_PREFIX}+ -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;
/** Everything else a kd- bridge sends to the host is dropped. */
export const HOST_DROP = `-i ${BRIDGE_PREFIX}+ -j DROP`;

const IPV6_PROC = '/proc/sys/net/ipv6';

/**
 * Whether the host has IPv6 off, so a container cannot reach it over IPv6 and the ip6tables pair is
 * not needed: no IPv6 in the kernel (`ipv6.disable=1`: no /proc/sys/net/ipv6, and ip6tables cannot
 * run), or `disable_ipv6` = 1 for all interfaces and for those created later (`default`: the
 * bridges of attempts to come). ip6tables missing on a host with IPv6 on is not this: that host is
 * not isolated.
 */
export async function ipv6Disabled(procDir = IPV6_PROC): Promise<boolean> {
  // only a kernel without IPv6 (no /proc/sys/net/ipv6 at all) counts as off when unread: any other
  // failure to read the settings counts as on, so the rules are required (failing closed)
  const noIpv6 = await access(procDir).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
  );
  if (noIpv6) return true;
  const read = (conf: string) => readFile(`${procDir}/conf/${conf}/disable_ipv6`, 'utf8').then((v) => v.trim(), () => undefined);
  const [all, later] = await Promise.all([read('all'), read('default')]);
  return all === '1' && later === '1';
}

/** The INPUT chains the rules go in: every address family a container could reach the host over. */
export async function hostIsolationChains(ipv6Proc = IPV6_PROC): Promise<ChainRules[]> {
  const bins: Array<ChainRules['bin']> = (await ipv6Disabled(ipv6Proc)) ? ['iptables'] : ['iptables', 'ip6tables'];
  // the package mirror's ACCEPT for the build bridge (build-egress.ts) stays above the DROP when the rules move up
  return bins.map((bin) => ({ bin, chain: 'INPUT', accept: HOST_REPLIES, drops: [HOST_DROP], keepAbove: mirrorAccept(BUILD_BRIDGE) }));
}

/**
 * Puts the two INPUT rules in effect in each family, checked by position, not only presence: an
 * ACCEPT another tool inserted above them (ufw, Docker, an operator) would reopen the host, so a
 * shadowed, missing or duplicated pair is reinstalled at the top in one atomic transaction
 * (firewall-chain.ts) and checked again. Throws when they cannot be.
 */
export async function ensureHostIsolation(ipv6Proc = IPV6_PROC): Promise<void> {
  await ensureChains(await hostIsolationChains(ipv6Proc), BUILD_BRIDGE, "the host isolation rules (INPUT, kd-+)");
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
