import { InfrastructureError } from '@kadai/errors';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { BuildCgroup, CgroupTree } from './cgroups';

// Against the machine's real cgroup filesystem (tests run as root, like the worker).
const ROOT = '/sys/fs/cgroup';
afterAll(async () => {
  const tree = await CgroupTree.open(ROOT);
  for (const hierarchy of await tree.hierarchies()) await rmdir(`${hierarchy}/kadai-build-test`).catch(() => undefined);
});

it('refuses a root that is not a cgroup filesystem: a non-retryable infrastructure error', async () => {
  const error = await CgroupTree.open('/tmp').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InfrastructureError);
  expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/sandbox limit not in place: \/tmp is neither/) });
});

it('sets pids.max and reads it back, sees the limit reached, kills every process in it and removes it', async () => {
  const tree = await CgroupTree.open(ROOT);
  const cgroup = new BuildCgroup(tree, 'kadai-build-test', `unit-${process.pid}`, 2);
  await cgroup.create();
  expect(cgroup.path).toBe(`/kadai-build-test/unit-${process.pid}`);
  await cgroup.verify();
  const sleepers = [spawn('sleep', ['60']), spawn('sleep', ['60'])];
  const procs = tree.dir(cgroup.path) + '/cgroup.procs';
  for (const s of sleepers) writeFileSync(procs, String(s.pid));
  expect((await cgroup.processes()).sort()).toEqual(sleepers.map((s) => s.pid).sort());
  expect(await cgroup.pidsLimitReached()).toBe(true);
  const exited = Promise.all(sleepers.map((s) => new Promise((resolve) => s.once('exit', (_code, signal) => resolve(signal)))));
  expect(await cgroup.killAll()).toBe(2);
  expect(await exited).toEqual(['SIGKILL', 'SIGKILL']);
  expect(await cgroup.processes()).toEqual([]);
  await cgroup.remove();
  expect(existsSync(tree.dir(cgroup.path))).toBe(false);
  await cgroup.remove(); // the parent stays for other attempts; removing twice is fine
});

it('notices pids.max changed behind its back', async () => {
  const tree = await CgroupTree.open(ROOT);
  const cgroup = new BuildCgroup(tree, 'kadai-build-test', `unit-changed-${process.pid}`, 64);
  await cgroup.create();
  try {
    writeFileSync(tree.dir(cgroup.path) + '/pids.max', 'max');
    await expect(cgroup.verify()).rejects.toThrow(/pids.max is max, not 64/);
  } finally {
    await cgroup.remove();
  }
});
