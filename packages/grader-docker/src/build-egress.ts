import { execFile } from 'node:child_process';
import { bridgeFilteringProblems, ensureBridgeFiltering } from './bridge-filtering';

/**
 * The only way out of the build network is kadai's package mirror on the bridge's gateway. Without
 * these rules a RUN step reaches the LAN, cloud metadata (169.254.169.254) and the internet (Docker's
 * FORWARD rules let a bridge out), and the host's own services (INPUT). Rules are written as
 * `iptables -S` prints them, so a chain's listing can be checked line by line: every DROP must come
 * before anything that could let the bridge's traffic through, and the mirror's ACCEPT before the
 * DROPs. A chain is only ever rewritten in one atomic transaction that leaves one copy of each rule
 * at its top: several workers (or a test's own mirror on another port) share the DROPs, so they are
 * never removed on their own (that would open the bridge), nor appended again and again each time
 * another chain's jump lands above them (Docker, kube-proxy and kadai's engine insert theirs first).
 */
export interface BuildEgress {
  /** The build network's bridge interface. */
  bridge: string;
  /** Where on the bridge the package mirror listens (its gateway). */
  gateway: string;
  mirrorPort: number;
}

export type Chain = { bin: 'iptables' | 'ip6tables'; chain: string; accept?: string; drops: string[] };

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

/** How many copies of each of kadai's rules the chain holds beyond the first (0 when each is there at most once). */
function extraCopies(rules: string[], { accept, drops }: Chain): number {
  return [...drops, ...(accept ? [accept] : [])].reduce((extra, rule) => extra + Math.max(0, rules.filter((r) => r === rule).length - 1), 0);
}

/**
 * One iptables-restore transaction that deletes every copy of the chain's rules (as listed) and puts
 * one of each at the top, the mirror's ACCEPT first. Applied atomically: the bridge is never open in
 * between, and if another worker changed the chain meanwhile (a -D that no longer matches) nothing
 * is applied and the caller retries.
 */
export function reinstallScript(rules: string[], { chain, accept, drops }: Chain): string {
  const ours = [...(accept ? [accept] : []), ...drops];
  const deletes = rules.filter((r) => ours.includes(r)).map((r) => `-D ${chain} ${r}`);
  const inserts = [...ours].reverse().map((r) => `-I ${chain} 1 ${r}`);
  return ['*filter', ...deletes, ...inserts, 'COMMIT', ''].join('\n');
}

function restore(bin: Chain['bin'], script: string): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(`${bin}-restore`, ['-w', '10', '--noflush'], { timeout: 20_000 }, (error, _stdout, stderr) => resolve({ ok: !error, stderr: String(stderr) }));
    child.stdin?.end(script);
  });
}

/**
 * Installs the rules (idempotent): a chain whose DROPs are missing or shadowed, whose mirror ACCEPT
 * is missing or below them, or that holds copies of them, gets exactly one of each back at its top
 * (reinstallScript). Throws when iptables or ip6tables refuses (then nothing may be built).
 */
export async function ensureBuildEgress(egress: BuildEgress): Promise<void> {
  await ensureBridgeFiltering();
  for (const chain of egressRules(egress)) {
    for (let attempt = 1; ; attempt++) {
      const rules = await listing(chain.bin, chain.chain);
      if (!chainProblem(rules, chain, egress.bridge) && extraCopies(rules, chain) === 0) break;
      const applied = await restore(chain.bin, reinstallScript(rules, chain));
      if (applied.ok) break;
      if (attempt === 3) throw new Error(`cannot put the build network's rules in ${chain.bin} ${chain.chain}: ${applied.stderr.trim()}`);
    }
  }
  const problems = await egressProblems(egress);
  if (problems.length > 0) throw new Error(`the build network's firewall is not in place: ${problems.join('; ')}`);
}
