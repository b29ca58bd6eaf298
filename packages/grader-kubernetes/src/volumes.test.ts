import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeVolumeDirs } from './volumes';

const live = 'kadai-a-0123456789ab';
const gone = 'kadai-a-ba9876543210';

function nodeRoot(): { root: string; outside: string } {
  const base = mkdtempSync(path.join(tmpdir(), 'kadai-volume-dirs-'));
  const root = path.join(base, 'attempt-volumes');
  const outside = path.join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'keep'), 'host file');
  for (const ns of [live, gone]) {
    mkdirSync(path.join(root, ns, 'host-pv'), { recursive: true });
    writeFileSync(path.join(root, ns, 'host-pv', 'data'), 'x');
    // what a student's Pod may leave in its volume: a link out of it
    symlinkSync(outside, path.join(root, ns, 'host-pv', 'escape'));
  }
  mkdirSync(path.join(root, 'lost+found'));
  return { root, outside };
}

test("the reaper removes only directories of attempt namespaces that no longer exist, never following a link out", async () => {
  const { root, outside } = nodeRoot();
  const dirs = new NodeVolumeDirs(root);
  const result = await dirs.reap(async () => new Set([live]));
  expect(result).toEqual({ removed: [gone], failures: [] });
  expect(readdirSync(root).sort()).toEqual([live, 'lost+found']);
  expect(readdirSync(outside)).toEqual(['keep']);
});

test('the namespaces are listed after the directories are read (a new attempt made meanwhile keeps its directory)', async () => {
  const { root } = nodeRoot();
  const fresh = 'kadai-a-00000000000f';
  const dirs = new NodeVolumeDirs(root);
  const result = await dirs.reap(async () => {
    mkdirSync(path.join(root, fresh)); // appeared after the directories were read: its namespace exists but is not listed here
    return new Set([live]);
  });
  expect(result.removed).toEqual([gone]);
  expect(existsSync(path.join(root, fresh))).toBe(true);
});

test("one attempt's directory goes after its attempt; anything but an attempt namespace's name is refused", async () => {
  const { root, outside } = nodeRoot();
  const dirs = new NodeVolumeDirs(root);
  await dirs.remove(live);
  await dirs.remove(live); // already gone: fine
  expect(existsSync(path.join(root, live))).toBe(false);
  expect(existsSync(path.join(outside, 'keep'))).toBe(true);
  await expect(dirs.remove('../outside')).rejects.toThrow(/not an attempt namespace/);
  await expect(new NodeVolumeDirs(path.join(root, 'missing')).reap(async () => new Set())).resolves.toEqual({ removed: [], failures: [] });
});
