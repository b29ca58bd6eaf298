import { execFile } from 'node:child_process';
import { bridgeFilteringProblems, ensureBridgeFiltering } from './bridge-filtering';

/**
 * The only way out of the build network is kadai's package mirror on the bridge's gateway. Without
 * these rules a RUN step reaches the LAN, cloud metadata (169.254.169.254) and the internet (Docker's
 * FORWARD rules let a bridge out), and the host's own services (INPUT). Rules are written as
 * `iptables -S` prints them, so a chain's listing can be checked line by line: every DROP must come
 * before anything that could let the bridge's traffic through, and the mirror's ACCEPT before the
 * DROPs. Nothing is ever deleted except a misplaced ACCEPT of this mirror port: several workers (or
 * a test's own mirror on another port) share the DROPs, and removing one would open the bridge.
 */
export interface BuildEgress {
  /** The build network's bridge interface. */
  bridge: string;
  /** Where on the bridge the package mirror listens (its gateway). */
  gateway: string;
  mirrorPort: number;
}

type Chain = { bin: 'iptables' | 'ip6tables'; chain: string; accept?: string; drops: string[] };

export function egressRules({ bridge, gateway, mirrorPort }: BuildEgress): Chain[] {
  return [
    { bin: 'iptables', chain: 'INPUT', accept: `-d ${gateway}/32 -i ${bridge} -p tcp -m tcp --dport ${mirrorPort} -j ACCEPT`, drops: [`-i ${bridge} -j DROP`] },
    // FORWARD itself, above any jump (Docker's DOCKER-USER, kadai engine's KADAI-FORWARD): a chain
    // jumped to first could ACCEPT the bridge's traffic before a DROP further down is reached.
    { bin: 'iptables', chain: 'FORWARD', drops: [`-i ${bridge} -j DROP`, `-o ${bridge} -j DROP`] },
    { bin: 'ip6tables', chain: 'INPUT', drops: [`-i ${bridge} -j DROP`] },
    { bin: 'ip6tables', chain: 'FORWARD', drops: [`-i ${bridge} -j DROP`, `-o ${bridge} -j DROP`] },
  ];
}

function run(bin: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, ['-w', '10', ...args], { timeout: 20_000 }, (error, stdout, stderr) => resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr) }));
  });
}

async function listing(bin: string, chain: string): Promise<string[]> {
  const listed = await run(bin, ['-S', chain]);
  if (!listed.ok) throw new Error(`${bin} -S ${chain}: ${listed.stderr.trim()}`);
  return listed.stdout.split('\n').filter((l) => l.startsWith(`-A ${chain} `)).map((l) => l.slice(`-A ${chain} `.length));
}

/** Rules that may precede the DROPs: other DROPs, mirror ACCEPTs on this bridge, replies to the host's own connections. */
function harmless(rule: string, bridge: string): boolean {
  return rule.endsWith('-j DROP') || new RegExp(`^-d \\S+ -i ${bridge} -p tcp -m tcp --dport \\d+ -j ACCEPT$`).test(rule) || / -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT$/.test(rule);
}

/** What is wrong with one chain (undefined when it is right). */
function chainProblem(rules: string[], { accept, drops }: Chain, bridge: string): string | undefined {
  const dropAt = drops.map((d) => rules.indexOf(d));
  if (dropAt.some((i) => i < 0)) return `missing "${drops.join('", "')}"`;
  const lastDrop = Math.max(...dropAt);
  const leak = rules.slice(0, lastDrop).find((r) => !harmless(r, bridge));
  if (leak) return `"${leak}" comes before the DROPs`;
  if (accept) {
    const acceptAt = rules.indexOf(accept);
    const blockedAt = rules.findIndex((r) => r === drops[0] || r === '-i kd-+ -j DROP');
    if (acceptAt < 0 || acceptAt > blockedAt) return `"${accept}" missing or after a DROP`;
  }
  return undefined;
}

/** The chains (and bridge filtering) that are not as they must be (empty when the build network is closed but for the mirror). */
export async function egressProblems(egress: BuildEgress): Promise<string[]> {
  const problems = await bridgeFilteringProblems();
  for (const chain of egressRules(egress)) {
    const problem = await listing(chain.bin, chain.chain)
      .then((rules) => chainProblem(rules, chain, egress.bridge))
      .catch((error: Error) => error.message);
    if (problem) problems.push(`${chain.bin} ${chain.chain}: ${problem}`);
  }
  return problems;
}

/**
 * Installs the rules (idempotent): DROPs missing or shadowed are inserted at the top, then the
 * mirror's ACCEPT above them. Throws when iptables or ip6tables refuses (then nothing may be built).
 */
export async function ensureBuildEgress(egress: BuildEgress): Promise<void> {
  await ensureBridgeFiltering();
  for (const chain of egressRules(egress)) {
    const insert = async (rule: string) => {
      const added = await run(chain.bin, ['-I', chain.chain, '1', ...rule.split(' ')]);
      if (!added.ok) throw new Error(`cannot add "${chain.bin} -I ${chain.chain} ${rule}": ${added.stderr.trim()}`);
    };
    let rules = await listing(chain.bin, chain.chain);
    const problem = chainProblem(rules, chain, egress.bridge);
    if (!problem) continue;
    if (chainProblem(rules, { ...chain, accept: undefined }, egress.bridge)) {
      for (const drop of [...chain.drops].reverse()) await insert(drop);
      rules = await listing(chain.bin, chain.chain);
    }
    if (chain.accept && chainProblem(rules, chain, egress.bridge)) {
      await run(chain.bin, ['-D', chain.chain, ...chain.accept.split(' ')]);
      await insert(chain.accept);
    }
  }
  const problems = await egressProblems(egress);
  if (problems.length > 0) throw new Error(`the build network's firewall is not in place: ${problems.join('; ')}`);
}
