import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

const PROC_DIR = '/proc/sys/net/bridge';
const SETTINGS = ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables'] as const;

/**
 * Two build steps on the build network talk over the bridge, not through the host's routing: the
 * firewall's FORWARD DROPs for the bridge (build-egress.ts) see those frames only while br_netfilter
 * hands bridged traffic to iptables and ip6tables. Without it, one attempt's RUN step reaches
 * another's. The cluster's set-up turns it on here; a Docker-only machine may not have it.
 */
export async function bridgeFilteringProblems(dir = PROC_DIR): Promise<string[]> {
  const problems: string[] = [];
  for (const name of SETTINGS) {
    const value = await readFile(`${dir}/${name}`, 'utf8').then((v) => v.trim(), () => undefined);
    if (value === undefined) problems.push(`net.bridge.${name} is missing (br_netfilter not loaded): build steps on one bridge are not filtered`);
    else if (value !== '1') problems.push(`net.bridge.${name} is ${value}, not 1: build steps on one bridge are not filtered`);
  }
  return problems;
}

/** Turns bridge filtering on (loading br_netfilter if needed); throws when it stays off. */
export async function ensureBridgeFiltering(dir = PROC_DIR): Promise<void> {
  if ((await bridgeFilteringProblems(dir)).length === 0) return;
  if (dir === PROC_DIR) await new Promise((resolve) => execFile('modprobe', ['br_netfilter'], { timeout: 20_000 }, resolve));
  // r+: a setting that does not exist is not created (it means the module is missing)
  for (const name of SETTINGS) await writeFile(`${dir}/${name}`, '1', { flag: 'r+' }).catch(() => undefined);
  const problems = await bridgeFilteringProblems(dir);
  if (problems.length > 0) throw new Error(problems.join('; '));
}
