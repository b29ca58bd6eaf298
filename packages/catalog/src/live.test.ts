import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LiveCatalog } from './live';

// quiz-ch01 as shipped: a valid lab with its solution and wrong variants
const SHIPPED = path.resolve(__dirname, '..', '..', '..', 'labs', 'quiz-ch01');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kadai-live-catalog-'));
  await cp(SHIPPED, path.join(dir, 'quiz-ch01'), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const labYaml = () => path.join(dir, 'quiz-ch01', 'lab.yaml');
const edit = async (from: string, to: string) => writeFile(labYaml(), (await readFile(labYaml(), 'utf8')).replace(from, to));

describe('LiveCatalog', () => {
  it('takes a changed lab on reload and says what changed', async () => {
    const catalog = await LiveCatalog.load(dir);
    const v1 = catalog.get('quiz-ch01')!.version;
    expect(await catalog.reload()).toEqual({ labs: [{ id: 'quiz-ch01', change: 'unchanged', version: v1, previousVersion: v1 }], issues: [] });
    await edit('points: 1', 'points: 2');
    const { labs } = await catalog.reload();
    expect(labs).toEqual([{ id: 'quiz-ch01', change: 'updated', version: expect.not.stringMatching(v1), previousVersion: v1 }]);
    expect(catalog.get('quiz-ch01')!.version).toBe(labs[0]!.version);
  });

  it('refuses a lab that fails validation with file:line and keeps the version loaded before', async () => {
    const catalog = await LiveCatalog.load(dir);
    const before = catalog.get('quiz-ch01')!;
    await edit('chapter: 1', 'chapter: one');
    const { labs, issues } = await catalog.reload();
    expect(labs).toEqual([{ id: 'quiz-ch01', change: 'refused', version: before.version, previousVersion: before.version }]);
    expect(issues).toEqual([expect.objectContaining({ file: labYaml(), line: 3, message: expect.stringContaining('chapter') })]);
    expect(catalog.get('quiz-ch01')).toBe(before);
    await expect(LiveCatalog.load(dir)).rejects.toThrow(`${labYaml()}:3:`);
  });

  it('adds a lab one folder at a time, and refuses a name that is no lab folder', async () => {
    const catalog = new LiveCatalog(dir);
    expect((await catalog.reloadLab('quiz-ch01')).labs).toEqual([{ id: 'quiz-ch01', change: 'added', version: expect.any(String), previousVersion: null }]);
    expect((await catalog.reloadLab('../etc')).issues).toEqual([{ message: '"../etc" is not a lab id' }]);
    expect((await catalog.reloadLab('quiz-ch99')).labs).toEqual([{ id: 'quiz-ch99', change: 'refused', version: null, previousVersion: null }]);
    expect([...catalog.keys()]).toEqual(['quiz-ch01']);
  });
});
