/**
 * The Pod firewall's scripts (infra/cluster/lib/firewall.sh) on their own, in a network namespace
 * of this test's (its own iptables, as on a brand-new machine): installing is atomic and
 * idempotent, and the removal `down` runs takes every chain of the cluster's and nothing of kadai's
 * Docker engine, whose KADAI- chains share the tables. The live cluster is not touched.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { run } from './kube';

const lib = join(__dirname, '..', '..', 'infra', 'cluster', 'lib');
const netns = `kadai-fwtest-${randomBytes(3).toString('hex')}`;
const saveAll = 'for t in filter nat mangle; do iptables-save -t $t; done; ip6tables-save -t filter';

/** Runs a bash script inside the namespace with lib/common.sh and lib/firewall.sh sourced; throws on failure. */
async function inNamespace(script: string): Promise<string> {
  const r = await run('ip', ['netns', 'exec', netns, 'bash', '-c', `set -euo pipefail; . ${lib}/common.sh; . ${lib}/firewall.sh; ${script}`]);
  if (r.code !== 0) throw new Error(`script failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The rule and chain lines of iptables-save output, without its comments and counters. */
const rules = (saved: string) => saved.split('\n').filter((l) => /^[-:]/.test(l)).map((l) => l.replace(/ \[\d+:\d+\]$/, ''));

beforeAll(async () => {
  const r = await run('ip', ['netns', 'add', netns]);
  if (r.code !== 0) throw new Error(`ip netns add: ${r.stderr}`);
});
afterAll(async () => {
  await run('ip', ['netns', 'del', netns]);
});

test('pod_firewall installs the NetworkPolicy queue, the Pod forward and host input chains; a second run changes nothing', async () => {
  const first = rules(await inNamespace(`pod_firewall; ${saveAll}`));
  expect(first).toEqual(expect.arrayContaining([
    '-A FORWARD -i kadai0 -o kadai0 -j KADAI-POD-NETPOL',
    expect.stringMatching(/^-A KADAI-POD-NETPOL -d 10\.244\.0\.0\/24 -m conntrack --ctstate NEW .*-j NFQUEUE --queue-num 100$/),
    '-A FORWARD -j KADAI-POD-FORWARD',
    '-A INPUT -i kadai0 -j KADAI-POD-INPUT',
    '-A INPUT -i kadai0 -j KADAI-POD6',
  ]));
  const second = rules(await inNamespace(`pod_firewall; ${saveAll}`));
  expect(second).toEqual(first);
});

test("remove_cluster_chains takes every KADAI-POD chain and the jumps to them, and leaves the Docker engine's", async () => {
  const after = rules(await inNamespace(`
    pod_firewall
    iptables -N KADAI-FORWARD; iptables -A KADAI-FORWARD -i kd-+ -j DROP; iptables -I FORWARD 1 -j KADAI-FORWARD
    iptables -t nat -N KADAI-POSTROUTING; iptables -t nat -A POSTROUTING -j KADAI-POSTROUTING
    remove_cluster_chains
    ${saveAll}`));
  expect(after.filter((l) => /KADAI-POD|KUBE-|CNI-/.test(l))).toEqual([]);
  expect(after).toEqual(expect.arrayContaining([':KADAI-FORWARD -', '-A FORWARD -j KADAI-FORWARD', '-A KADAI-FORWARD -i kd-+ -j DROP', ':KADAI-POSTROUTING -', '-A POSTROUTING -j KADAI-POSTROUTING']));
});
