import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diskUsage, stepCommand, writableStoreDirs } from './step-disk';

const STORE = '/var/lib/kadai/buildkit';
const SNAPSHOTS = `${STORE}/root/runc-overlayfs/snapshots/snapshots`;
const HOST = ['21 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw', '40 21 254:16 /lib /srv/lib rw,relatime - ext4 /dev/vdb rw'].join('\n');

describe("a build step's writable directories in buildkitd's store", () => {
  it("are the upperdirs of its writable overlays (its root, a bind,rw mount) and its writable bind mounts' sources (a cache mount)", () => {
    const step = [
      `1510 1390 0:160 / / rw,relatime - overlay overlay rw,lowerdir=${SNAPSHOTS}/3/fs,upperdir=${SNAPSHOTS}/948/fs,workdir=${SNAPSHOTS}/948/work`,
      '1511 1510 0:162 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
      `1512 1510 254:0 ${SNAPSHOTS}/12/fs /cache rw,relatime - ext4 /dev/vda rw`,
      `1513 1510 0:170 / /ctx rw,relatime - overlay overlay rw,lowerdir=${SNAPSHOTS}/40/fs,upperdir=${SNAPSHOTS}/950/fs,workdir=${SNAPSHOTS}/950/work`,
      '1514 1510 0:171 / /tmpfs rw,relatime - tmpfs tmpfs rw',
    ].join('\n');
    expect(writableStoreDirs(step, HOST, STORE)).toEqual([`${SNAPSHOTS}/948/fs`, `${SNAPSHOTS}/12/fs`, `${SNAPSHOTS}/950/fs`]);
  });
  it('leave out read-only mounts, overlays without an upperdir, and whatever lies outside the store', () => {
    const step = [
      `1 0 0:160 / / rw - overlay overlay rw,lowerdir=${SNAPSHOTS}/3/fs,upperdir=${SNAPSHOTS}/948/fs,workdir=${SNAPSHOTS}/948/work`,
      `2 1 254:0 ${SNAPSHOTS}/12/fs /ro ro,relatime - ext4 /dev/vda rw`,
      `3 1 0:170 / /src ro - overlay overlay ro,lowerdir=${SNAPSHOTS}/40/fs:${SNAPSHOTS}/41/fs`,
      '4 1 254:0 /etc/resolv.conf /etc/resolv.conf rw - ext4 /dev/vda rw',
    ].join('\n');
    expect(writableStoreDirs(step, HOST, STORE)).toEqual([`${SNAPSHOTS}/948/fs`]);
  });
  it("are none while the step's root is not its overlay yet (runc's init sees the host's mounts, other builds' steps among them)", () => {
    const other = `60 21 0:90 / ${STORE}/root/runc-overlayfs/executor/abc/rootfs rw - overlay overlay rw,lowerdir=${SNAPSHOTS}/3/fs,upperdir=${SNAPSHOTS}/77/fs,workdir=${SNAPSHOTS}/77/work`;
    expect(writableStoreDirs(`${HOST}\n${other}`, HOST, STORE)).toEqual([]);
  });
  it("are none while runc's init still sees buildkitd's own overlay root (buildkitd in a container on overlay2)", () => {
    const inContainer = '1 0 0:50 / / rw - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A,upperdir=/var/lib/docker/overlay2/b1/diff,workdir=/var/lib/docker/overlay2/b1/work';
    const other = `60 1 0:90 / ${STORE}/root/runc-overlayfs/executor/abc/rootfs rw - overlay overlay rw,lowerdir=${SNAPSHOTS}/3/fs,upperdir=${SNAPSHOTS}/77/fs,workdir=${SNAPSHOTS}/77/work`;
    expect(writableStoreDirs(`${inContainer}\n${other}`, inContainer, STORE)).toEqual([]);
  });
  it("are none while runc's init has pivoted into the step's root but the old root, other builds' steps with it, is still stacked on it", () => {
    const own = `1510 1390 0:160 / / rw,relatime - overlay overlay rw,lowerdir=${SNAPSHOTS}/3/fs,upperdir=${SNAPSHOTS}/948/fs,workdir=${SNAPSHOTS}/948/work`;
    const oldRoot = '1520 1510 254:0 / / rw,relatime - ext4 /dev/vda rw';
    const other = `1521 1520 0:90 / ${STORE}/root/runc-overlayfs/executor/abc/rootfs rw - overlay overlay rw,lowerdir=${SNAPSHOTS}/3/fs,upperdir=${SNAPSHOTS}/77/fs,workdir=${SNAPSHOTS}/77/work`;
    expect(writableStoreDirs([own, oldRoot, other].join('\n'), HOST, STORE)).toEqual([]);
    // once the old root is detached, the step's own directory
    expect(writableStoreDirs(own, HOST, STORE)).toEqual([`${SNAPSHOTS}/948/fs`]);
  });
  it("find a bind mount's source through the host's mount of the same device", () => {
    const step = ['0 0 0:160 / / rw - overlay overlay rw,upperdir=/srv/lib/kadai/buildkit/root/y/fs,workdir=/srv/lib/kadai/buildkit/root/y/work', '1 0 254:16 /lib/kadai/buildkit/root/x/fs /cache rw - ext4 /dev/vdb rw'].join('\n');
    expect(writableStoreDirs(step, HOST, '/srv/lib/kadai/buildkit')).toEqual(['/srv/lib/kadai/buildkit/root/y/fs', '/srv/lib/kadai/buildkit/root/x/fs']);
  });
  it('read escaped characters back', () => {
    expect(writableStoreDirs('1 0 0:1 / / rw - overlay overlay rw,upperdir=/s\\040t/a\\040b/fs,workdir=/w', HOST, '/s t')).toEqual(['/s t/a b/fs']);
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
  it('counts a single file too (a bound file)', async () => {
    expect(await diskUsage(path.join(dir, 'd0', 'f'), Number.MAX_SAFE_INTEGER)).toBeGreaterThanOrEqual(64 * 1024);
  });
  it('stops counting once past the limit', async () => {
    expect(await diskUsage(dir, 100 * 1024)).toBeLessThan(20 * 64 * 1024);
  });
});

describe("a build step's command", () => {
  let store: string;
  beforeAll(() => {
    store = mkdtempSync(path.join(tmpdir(), 'kadai-step-command-'));
    mkdirSync(path.join(store, 'root/runc-overlayfs/executor/abc'), { recursive: true });
    writeFileSync(path.join(store, 'root/runc-overlayfs/executor/abc/config.json'), JSON.stringify({ process: { args: ['/bin/sh', '-c', 'dd if=/dev/zero of=/a && sleep 8'] } }));
  });
  afterAll(() => rmSync(store, { recursive: true, force: true }));
  it("is read from the step's bundle, named like its cgroup", async () => {
    expect(await stepCommand(store, 'abc')).toBe('/bin/sh -c dd if=/dev/zero of=/a && sleep 8');
  });
  it('is unknown once the bundle is gone', async () => {
    expect(await stepCommand(store, 'gone')).toBeUndefined();
  });
});
