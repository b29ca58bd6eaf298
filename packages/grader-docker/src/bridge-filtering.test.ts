import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bridgeFilteringProblems, ensureBridgeFiltering } from './bridge-filtering';

describe('bridge filtering (br_netfilter) for the build network', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'kadai-bridge-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names each setting that is off or missing', async () => {
    writeFileSync(path.join(dir, 'bridge-nf-call-iptables'), '0\n');
    expect(await bridgeFilteringProblems(dir)).toEqual([
      'net.bridge.bridge-nf-call-iptables is 0, not 1: build steps on one bridge are not filtered',
      'net.bridge.bridge-nf-call-ip6tables is missing (br_netfilter not loaded): build steps on one bridge are not filtered',
    ]);
  });

  it('turns settings that exist on', async () => {
    for (const name of ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables']) writeFileSync(path.join(dir, name), '0\n');
    await ensureBridgeFiltering(dir);
    expect(readFileSync(path.join(dir, 'bridge-nf-call-ip6tables'), 'utf8').trim()).toBe('1');
    expect(await bridgeFilteringProblems(dir)).toEqual([]);
  });

  it('refuses when a setting does not exist (never creates it)', async () => {
    writeFileSync(path.join(dir, 'bridge-nf-call-iptables'), '1\n');
    await expect(ensureBridgeFiltering(dir)).rejects.toThrow(/bridge-nf-call-ip6tables is missing/);
  });
});
