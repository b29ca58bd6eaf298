import { execFile } from 'node:child_process';

/**
 * kadai's rules at the top of a shared chain (INPUT, FORWARD), kept there in effect, not merely
 * present: written as `iptables -S` prints them, so a chain's listing is checked line by line —
 * every DROP must come before anything that could let the traffic through, and the ACCEPT before
 * the DROPs. Other software (Docker, kube-proxy, ufw, an operator) inserts its rules at the top, so
 * a rule of kadai's that is there can still be shadowed. A chain is only ever fixed in one atomic
 * `iptables-restore --noflush` transaction that leaves one copy of each rule at its top: several
 * workers share the rules, so they are never removed on their own (that would open what they close),
 * nor inserted again and again each time another rule lands above them.
 */
export interface ChainRules {
  bin: 'iptables' | 'ip6tables';
  chain: string;
  /** The one ACCEPT that must come before the DROPs (the mirror's, replies to the host's connections). */
  accept?: string;
  drops: string[];
  /** Rules that block the ACCEPT when they come before it (besides `drops[0]`). */
  blockers?: string[];
  /** Other rules of kadai's (the package mirror's ACCEPT) kept above these when they are reinstalled. */
  keepAbove?: RegExp;
}

/** What kadai's package mirror ACCEPT looks like (build-egress.ts): the only thing the build bridge may reach on the host. */
export const mirrorAccept = (bridge: string) => new RegExp(`^-d \\S+/32 -i ${bridge} -p tcp -m tcp --dport \\d+ -j ACCEPT$`);

/** Rules that may precede kadai's DROPs: other DROPs, mirror ACCEPTs on the build bridge, replies to the host's own connections. */
function harmless(rule: string, buildBridge: string): boolean {
  return rule.endsWith('-j DROP') || mirrorAccept(buildBridge).test(rule) || / -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT$/.test(rule);
}

/** What is wrong with one chain's listing (undefined when kadai's rules take effect as they must). */
export function chainProblem(rules: string[], { accept, drops, blockers = [] }: ChainRules, buildBridge: string): string | undefined {
  const dropAt = drops.map((d) => rules.indexOf(d));
  if (dropAt.some((i) => i < 0)) return `missing "${drops.join('", "')}"`;
  const lastDrop = Math.max(...dropAt);
  const leak = rules.slice(0, lastDrop).find((r) => !harmless(r, buildBridge));
  if (leak) return `"${leak}" comes before the DROPs`;
  if (accept) {
    const acceptAt = rules.indexOf(accept);
    const blockedAt = rules.findIndex((r) => r === drops[0] || blockers.includes(r));
    if (acceptAt < 0 || acceptAt > blockedAt) return `"${accept}" missing or after a DROP`;
  }
  return undefined;
}

/** How many copies of each of kadai's rules the chain holds beyond the first (0 when each is there at most once). */
export function extraCopies(rules: string[], { accept, drops }: ChainRules): number {
  return [...drops, ...(accept ? [accept] : [])].reduce((extra, rule) => extra + Math.max(0, rules.filter((r) => r === rule).length - 1), 0);
}

/**
 * One iptables-restore transaction that deletes every copy of the chain's rules (as listed) and puts
 * one of each at the top, the ACCEPT first — below the `keepAbove` rules found, which move up with
 * them (one copy each, in their order). Applied atomically: nothing is open in between, and if
 * another worker changed the chain meanwhile (a -D that no longer matches) nothing is applied and
 * the caller retries.
 */
export function reinstallScript(rules: string[], { chain, accept, drops, keepAbove }: ChainRules): string {
  const ours = [...(accept ? [accept] : []), ...drops];
  const kept = [...new Set(rules.filter((r) => !ours.includes(r) && keepAbove?.test(r)))];
  const deletes = rules.filter((r) => ours.includes(r) || kept.includes(r)).map((r) => `-D ${chain} ${r}`);
  const inserts = [...kept, ...ours].reverse().map((r) => `-I ${chain} 1 ${r}`);
  return ['*filter', ...deletes, ...inserts, 'COMMIT', ''].join('\n');
}

function run(bin: string, args: string[], stdin?: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(bin, ['-w', '10', ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr) || String(error?.message ?? '') }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** The chain's rules as `iptables -S` prints them, without the `-A <chain> ` prefix. */
export async function listing(bin: ChainRules['bin'], chain: string): Promise<string[]> {
  const listed = await run(bin, ['-S', chain]);
  if (!listed.ok) throw new Error(`${bin} -S ${chain}: ${listed.stderr.trim()}`);
  return listed.stdout.split('\n').filter((l) => l.startsWith(`-A ${chain} `)).map((l) => l.slice(`-A ${chain} `.length));
}

/** What is wrong with the chains (empty when every one holds kadai's rules in effect). */
export async function chainsProblems(chains: ChainRules[], buildBridge: string): Promise<string[]> {
  const problems: string[] = [];
  for (const chain of chains) {
    const problem = await listing(chain.bin, chain.chain)
      .then((rules) => chainProblem(rules, chain, buildBridge))
      .catch((error: Error) => error.message);
    if (problem) problems.push(`${chain.bin} ${chain.chain}: ${problem}`);
  }
  return problems;
}

/**
 * Puts the rules in effect (idempotent): a chain whose DROPs are missing or shadowed, whose ACCEPT is
 * missing or below them, or that holds copies of them, gets exactly one of each back at its top
 * (reinstallScript), then every chain is checked again. Throws naming what is still wrong.
 */
export async function ensureChains(chains: ChainRules[], buildBridge: string, what: string): Promise<void> {
  for (const chain of chains) {
    for (let attempt = 1; ; attempt++) {
      const rules = await listing(chain.bin, chain.chain);
      if (!chainProblem(rules, chain, buildBridge) && extraCopies(rules, chain) === 0) break;
      const applied = await run(`${chain.bin}-restore`, ['--noflush'], reinstallScript(rules, chain));
      if (applied.ok) break;
      if (attempt === 3) throw new Error(`cannot put ${what} in ${chain.bin} ${chain.chain}: ${applied.stderr.trim()}`);
    }
  }
  const problems = await chainsProblems(chains, buildBridge);
  if (problems.length > 0) throw new Error(`${what} not in effect: ${problems.join('; ')}`);
}
