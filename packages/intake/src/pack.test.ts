import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { unpackArchive } from './archive';
import { DEFAULT_LIMITS } from './limits';
import { packDirectory, packLayers } from './pack';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'intake-pack-'));
  mkdirSync(join(dir, 'k8s/base'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/x'), { recursive: true });
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM alpine\n');
  writeFileSync(join(dir, 'k8s/base/deploy.yaml'), 'kind: Deployment\n');
  writeFileSync(join(dir, 'k8s/svc.yaml'), 'kind: Service\n');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'run.sh'), 0o755);
  writeFileSync(join(dir, 'node_modules/x/index.js'), 'x');
  writeFileSync(join(dir, '.git/HEAD'), 'ref');
  writeFileSync(join(dir, 'tmp/scratch'), 'junk');
  writeFileSync(join(dir, 'secret.env'), 'TOKEN=1');
  symlinkSync('/etc/passwd', join(dir, 'passwd-link'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function tarEntries(tgz: Buffer): Promise<Array<{ name: string; mode: number; mtime: number }>> {
  const extract = tarStream.extract();
  extract.end(gunzipSync(tgz));
  const out: Array<{ name: string; mode: number; mtime: number }> = [];
  for await (const entry of extract) {
    out.push({ name: entry.header.name, mode: entry.header.mode, mtime: entry.header.mtime.getTime() });
    entry.resume();
  }
  return out;
}

describe('packDirectory', () => {
  it('round-trips through unpackArchive, skipping node_modules, .git, symlinks and excluded paths', async () => {
    const exclude = (p: string): boolean => p === 'tmp' || p.endsWith('.env');
    const tgz = await packDirectory(dir, { exclude });
    const files = await unpackArchive(tgz, DEFAULT_LIMITS);
    expect(Object.fromEntries([...files].map(([k, v]) => [k, v.toString()]))).toEqual({
      Dockerfile: 'FROM alpine\n',
      'k8s/base/deploy.yaml': 'kind: Deployment\n',
      'k8s/svc.yaml': 'kind: Service\n',
      'run.sh': '#!/bin/sh\n',
    });
  });

  it('is deterministic: sorted entries, zero mtimes, only the executable bit kept', async () => {
    const first = await packDirectory(dir);
    const second = await packDirectory(dir);
    expect(second.equals(first)).toBe(true);
    expect(await tarEntries(first)).toEqual([
      { name: 'Dockerfile', mode: 0o644, mtime: 0 },
      { name: 'k8s/base/deploy.yaml', mode: 0o644, mtime: 0 },
      { name: 'k8s/svc.yaml', mode: 0o644, mtime: 0 },
      { name: 'run.sh', mode: 0o755, mtime: 0 },
      { name: 'secret.env', mode: 0o644, mtime: 0 },
      { name: 'tmp/scratch', mode: 0o644, mtime: 0 },
    ]);
  });
});

describe('packLayers', () => {
  it('lays later folders over earlier ones and leaves out removed paths', async () => {
    const base = mkdtempSync(join(tmpdir(), 'kadai-base-'));
    const over = mkdtempSync(join(tmpdir(), 'kadai-over-'));
    writeFileSync(join(base, 'Dockerfile'), 'FROM nginx:1.21\n');
    writeFileSync(join(base, 'app.py'), 'print(1)\n');
    writeFileSync(join(base, 'notes.txt'), 'base\n');
    writeFileSync(join(over, 'Dockerfile'), 'FROM ubuntu\n');
    writeFileSync(join(over, 'expect.yaml'), 'fails: [x]\n');
    const files = await unpackArchive(await packLayers([base, over], { exclude: (p) => p === 'expect.yaml', remove: ['notes.txt'] }), DEFAULT_LIMITS);
    expect([...files.keys()]).toEqual(['Dockerfile', 'app.py']);
    expect(files.get('Dockerfile')?.toString()).toBe('FROM ubuntu\n');
    rmSync(base, { recursive: true });
    rmSync(over, { recursive: true });
  });
});
