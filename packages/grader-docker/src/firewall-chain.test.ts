import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chainProblem, reinstallScript, type ChainRules } from './firewall-chain';
import { BUILD_BRIDGE, HOST_DROP, HOST_REPLIES, hostIsolationChains, ipv6Disabled } from './isolation';

const MIRROR = '-d 10.203.0.1/32 -i kd-builds -p tcp -m tcp --dport 80 -j ACCEPT';

describe('the host isolation rules are checked by position', () => {
  let v4: ChainRules | undefined;
  beforeAll(async () => {
    [v4] = await hostIsolationChains();
  });

  it('an ACCEPT above them shadows them, as does a jump to another chain', () => {
    expect(chainProblem(['-i kd-+ -j ACCEPT', HOST_REPLIES, HOST_DROP], v4!, BUILD_BRIDGE)).toBe('"-i kd-+ -j ACCEPT" comes before the DROPs');
    expect(chainProblem(['-j ufw-before-input', HOST_REPLIES, HOST_DROP], v4!, BUILD_BRIDGE)).toMatch(/ufw-before-input/);
    expect(chainProblem([HOST_DROP, HOST_REPLIES], v4!, BUILD_BRIDGE)).toMatch(/missing or after a DROP/);
    expect(chainProblem([HOST_REPLIES], v4!, BUILD_BRIDGE)).toMatch(/^missing/);
  });

  it("in effect below the build network's rules, with other software's rules after them", () => {
    expect(chainProblem([MIRROR, '-i kd-builds -j DROP', HOST_REPLIES, HOST_DROP, '-j KUBE-FIREWALL', '-i kd-+ -j ACCEPT'], v4!, BUILD_BRIDGE)).toBeUndefined();
  });

  it("reinstalled at the top in one transaction, the package mirror's ACCEPT kept above them (builds still reach it)", () => {
    const listed = ['-i kd-+ -j ACCEPT', MIRROR, '-i kd-builds -j DROP', HOST_REPLIES, HOST_DROP, HOST_DROP];
    expect(reinstallScript(listed, v4!).split('\n')).toEqual([
      '*filter',
      `-D INPUT ${MIRROR}`,
      `-D INPUT ${HOST_REPLIES}`,
      `-D INPUT ${HOST_DROP}`,
      `-D INPUT ${HOST_DROP}`,
      `-I INPUT 1 ${HOST_DROP}`,
      `-I INPUT 1 ${HOST_REPLIES}`,
      `-I INPUT 1 ${MIRROR}`,
      'COMMIT',
      '',
    ]);
  });
});

describe('a host with IPv6 off needs no ip6tables pair', () => {
  let dir: string;
  const proc = (all?: string, later?: string) => {
    const root = mkdtempSync(path.join(dir, 'ipv6-'));
    for (const [conf, value] of [['all', all], ['default', later]] as const) {
      if (value === undefined) continue;
      mkdirSync(path.join(root, 'conf', conf), { recursive: true });
      writeFileSync(path.join(root, 'conf', conf, 'disable_ipv6'), `${value}\n`);
    }
    return root;
  };
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'sbnet-ipv6-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('off: no IPv6 in the kernel, or disable_ipv6 = 1 for all interfaces and those to come', async () => {
    expect(await ipv6Disabled(path.join(dir, 'absent'))).toBe(true);
    expect(await ipv6Disabled(proc('1', '1'))).toBe(true);
    expect((await hostIsolationChains(proc('1', '1'))).map((c) => c.bin)).toEqual(['iptables']);
  });

  it('on: disable_ipv6 = 0, or 1 only for the interfaces there now (a new bridge would have IPv6)', async () => {
    expect(await ipv6Disabled(proc('0', '0'))).toBe(false);
    expect(await ipv6Disabled(proc('1', '0'))).toBe(false);
    // IPv6 in the kernel but its settings unreadable: on (the rules are required)
    expect(await ipv6Disabled(mkdtempSync(path.join(dir, 'unreadable-')))).toBe(false);
    expect((await hostIsolationChains(proc('0', '0'))).map((c) => c.bin)).toEqual(['iptables', 'ip6tables']);
  });
});
