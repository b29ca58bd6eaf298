import { bridgeFilteringProblems, ensureBridgeFiltering } from './bridge-filtering';
import { chainsProblems, ensureChains, type ChainRules } from './firewall-chain';
import { HOST_DROP } from './isolation';

/**
 * The only way out of the build network is kadai's package mirror on the bridge's gateway. Without
 * these rules a RUN step reaches the LAN, cloud metadata (169.254.169.254) and the internet (Docker's
 * FORWARD rules let a bridge out), and the host's own services (INPUT). Every DROP must come before
 * anything that could let the bridge's traffic through, and the mirror's ACCEPT before the DROPs
 * (kadai's rules at the top of a shared chain, kept in effect: firewall-chain.ts).
 */
export interface BuildEgress {
  /** The build network's bridge interface. */
  bridge: string;
  /** Where on the bridge the package mirror listens (its gateway). */
  gateway: string;
  mirrorPort: number;
}

export function egressRules({ bridge, gateway, mirrorPort }: BuildEgress): ChainRules[] {
  return [
    // the attempt bridges' DROP (isolation.ts) covers kd-builds too: the mirror's ACCEPT must come before it
    { bin: 'iptables', chain: 'INPUT', accept: `-d ${gateway}/32 -i ${bridge} -p tcp -m tcp --dport ${mirrorPort} -j ACCEPT`, drops: [`-i ${bridge} -j DROP`], blockers: [HOST_DROP] },
    // FORWARD itself, above any jump (Docker's DOCKER-USER, kadai engine's KADAI-FORWARD): a chain
    // jumped to first could ACCEPT the bridge's traffic before a DROP further down is reached.
    { bin: 'iptables', chain: 'FORWARD', drops: [`-i ${bridge} -j DROP`, `-o ${bridge} -j DROP`] },
    { bin: 'ip6tables', chain: 'INPUT', drops: [`-i ${bridge} -j DROP`] },
    { bin: 'ip6tables', chain: 'FORWARD', drops: [`-i ${bridge} -j DROP`, `-o ${bridge} -j DROP`] },
  ];
}

/** The chains (and bridge filtering) that are not as they must be (empty when the build network is closed but for the mirror). */
export async function egressProblems(egress: BuildEgress): Promise<string[]> {
  return [...(await bridgeFilteringProblems()), ...(await chainsProblems(egressRules(egress), egress.bridge))];
}

/**
 * Installs the rules (idempotent): a chain whose DROPs are missing or shadowed, whose mirror ACCEPT
 * is missing or below them, or that holds copies of them, gets exactly one of each back at its top.
 * Throws when iptables or ip6tables refuses (then nothing may be built).
 */
export async function ensureBuildEgress(egress: BuildEgress): Promise<void> {
  await ensureBridgeFiltering();
  await ensureChains(egressRules(egress), egress.bridge, "the build network's firewall");
}
