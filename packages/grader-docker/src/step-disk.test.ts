import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diskUsage, rootUpperDir } from './step-disk';

describe("a build step's writable layer", () => {
  it("is the upperdir of the overlay on the step's root", () => {
    const mountinfo = [
      '1510 1390 0:160 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/kadai/buildkit/root/runc-overlayfs/snapshots/snapshots/3/fs,upperdir=/var/lib/kadai/buildkit/root/runc-overlayfs/snapshots/snapshots/948/fs,workdir=/var/lib/kadai/buildkit/root/runc-overlayfs/snapshots/snapshots/948/work',
      '1511 1510 0:162 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
    ].join('\n');
    expect(rootUpperDir(mountinfo)).toBe('/var/lib/kadai/buildkit/root/runc-overlayfs/snapshots/snapshots/948/fs');
  });
  it('is not found on a root that is not an overlay (runc before it enters the step), nor on an overlay elsewhere', () => {
    expect(rootUpperDir('21 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw')).toBeUndefined();
    expect(rootUpperDir('30 21 0:50 / /mnt rw - overlay overlay rw,upperdir=/x/fs,workdir=/x/work')).toBeUndefined();
  });
  it('reads escaped characters back', () => {
    expect(rootUpperDir('1 0 0:1 / / rw - overlay overlay rw,upperdir=/a\\040b/fs,workdir=/w')).toBe('/a b/fs');
  });
});

describe('disk usage of a tree', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kadai-step-disk-'));
    for (let i = 0; i < 20; i++) {
      mkdirSync(path.join(dir, `d${i}`));
      writeFileSync(path.join(dir, `d${i}`, 'f'), Buffer.alloc(64 * 1024, 1));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('counts the blocks every file holds, in every folder', async () => {
    const used = await diskUsage(dir, Number.MAX_SAFE_INTEGER);
    expect(used).toBeGreaterThanOrEqual(20 * 64 * 1024);
    expect(used).toBeLessThan(20 * 64 * 1024 * 2);
  });
  it('stops counting once past the limit', async () => {
    expect(await diskUsage(dir, 100 * 1024)).toBeLessThan(20 * 64 * 1024);
  });
});
