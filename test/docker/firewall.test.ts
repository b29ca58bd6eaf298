import { execFileSync } from 'node:child_process';
import { ensureBuildEgress, ensureHostIsolation, HOST_DROP, HOST_REPLIES } from '@kadai/grader-docker';
import { listing, ShadowRule } from './shadow-rule';

// kadai's firewall rules on the real iptables and ip6tables: installing them again (each worker does
// before every attempt) leaves one copy of each, in effect at the top, even after another chain's
// jump or an ACCEPT landed above them.
// The build network's rules are tried on a bridge name of this test's own (no such interface).
const egress = { bridge: 'kd-zzfwtest', gateway: '10.203.255.1', mirrorPort: 1 };
const CHAINS = [
  ['iptables', 'INPUT'],
  ['iptables', 'FORWARD'],
  ['ip6tables', 'INPUT'],
  ['ip6tables', 'FORWARD'],
] as const;

// an ACCEPT to port 9 (discard) from the attempt bridges, put above kadai's host isolation rules
const shadow = new ShadowRule('firewall', 9);
const copies = (bin: string, chain: string, rule: string) => listing(bin, chain).filter((l) => l === `-A ${chain} ${rule}`).length;

function removeTestRules(): void {
  for (const [bin, chain] of CHAINS) {
    for (const line of listing(bin, chain).filter((l) => l.includes(egress.bridge))) {
      execFileSync(bin, ['-w', '10', '-D', chain, ...line.slice(`-A ${chain} `.length).split(' ')]);
    }
  }
}

describe("kadai's firewall rules are installed once", () => {
  beforeAll(removeTestRules);
  afterAll(removeTestRules);
  afterAll(() => shadow.remove());

  it('the build network: one copy of each rule after installing twice and after being shadowed', async () => {
    const expected: Array<[string, string, string]> = [
      ['iptables', 'INPUT', `-d ${egress.gateway}/32 -i ${egress.bridge} -p tcp -m tcp --dport 1 -j ACCEPT`],
      ...CHAINS.flatMap(([bin, chain]) => [[bin, chain, `-i ${egress.bridge} -j DROP`] as [string, string, string]]),
      ...CHAINS.filter(([, chain]) => chain === 'FORWARD').map(([bin, chain]) => [bin, chain, `-o ${egress.bridge} -j DROP`] as [string, string, string]),
    ];
    await ensureBuildEgress(egress);
    await ensureBuildEgress(egress);
    for (const [bin, chain, rule] of expected) expect([bin, chain, rule, copies(bin, chain, rule)]).toEqual([bin, chain, rule, 1]);
    // a rule that would let the bridge through lands above the DROPs (as Docker's or kube-proxy's jumps do)
    for (const [bin, chain] of CHAINS) execFileSync(bin, ['-w', '10', '-I', chain, '1', '-i', egress.bridge, '-j', 'ACCEPT']);
    await ensureBuildEgress(egress);
    await ensureBuildEgress(egress);
    for (const [bin, chain, rule] of expected) expect([bin, chain, rule, copies(bin, chain, rule)]).toEqual([bin, chain, rule, 1]);
    for (const [bin, chain] of CHAINS) expect(listing(bin, chain)[0]).not.toBe(`-A ${chain} -i ${egress.bridge} -j ACCEPT`);
  });

  it('the attempt networks: one ACCEPT of replies then one DROP at the top, in IPv4 and IPv6, even after an ACCEPT was put above them', async () => {
    const inOrder = () =>
      (['iptables', 'ip6tables'] as const).map((bin) => {
        const rules = listing(bin, 'INPUT');
        const accept = `-A INPUT ${HOST_REPLIES}`;
        const drop = `-A INPUT ${HOST_DROP}`;
        const shadowAt = shadow.at(bin);
        return [bin, rules.filter((r) => r === accept).length, rules.filter((r) => r === drop).length, rules.indexOf(accept) < rules.indexOf(drop), shadowAt < 0 || rules.indexOf(drop) < shadowAt];
      });
    await ensureHostIsolation();
    await ensureHostIsolation();
    expect(inOrder()).toEqual([
      ['iptables', 1, 1, true, true],
      ['ip6tables', 1, 1, true, true],
    ]);
    try {
      shadow.insert();
      await ensureHostIsolation();
      expect(inOrder()).toEqual([
        ['iptables', 1, 1, true, true],
        ['ip6tables', 1, 1, true, true],
      ]);
    } finally {
      shadow.remove();
    }
  });
});
