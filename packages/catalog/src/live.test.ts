import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_LAB_CONTENT_BYTES } from './content';
import { LiveCatalog } from './live';

// quiz-ch01 and quiz-ch02 as shipped: valid labs with their solutions and wrong variants
const SHIPPED = path.resolve(__dirname, '..', '..', '..', 'labs');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kadai-live-catalog-'));
  for (const id of ['quiz-ch01', 'quiz-ch02']) await cp(path.join(SHIPPED, id), path.join(dir, id), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const labYaml = () => path.join(dir, 'quiz-ch01', 'lab.yaml');
const edit = async (from: string, to: string) => writeFile(labYaml(), (await readFile(labYaml(), 'utf8')).replace(from, to));

describe('LiveCatalog', () => {
  it('takes a changed lab on reload and says what changed', async () => {
    const catalog = await LiveCatalog.load(dir);
    const v1 = catalog.get('quiz-ch01')!.version;
    expect((await catalog.reload()).labs[0]).toEqual({ id: 'quiz-ch01', change: 'unchanged', version: v1, previousVersion: v1 });
    await edit('points: 1', 'points: 2');
    const { labs } = await catalog.reload();
    expect(labs[0]).toEqual({ id: 'quiz-ch01', change: 'updated', version: expect.not.stringMatching(v1), previousVersion: v1 });
    expect(catalog.get('quiz-ch01')!.version).toBe(labs[0]!.version);
  });

  it('refuses a lab that fails validation with file:line and keeps the version loaded before', async () => {
    const catalog = await LiveCatalog.load(dir);
    const before = catalog.get('quiz-ch01')!;
    await edit('chapter: 1', 'chapter: one');
    const { labs, issues } = await catalog.reload();
    expect(labs[0]).toEqual({ id: 'quiz-ch01', change: 'refused', version: before.version, previousVersion: before.version });
    // relative to the labs folder: the server's own paths never reach an API client
    expect(issues).toEqual([expect.objectContaining({ file: path.join('quiz-ch01', 'lab.yaml'), line: 3, message: expect.stringContaining('chapter') })]);
    expect(catalog.get('quiz-ch01')).toBe(before);
  });

  it('starts with the valid labs when a folder is refused, and says which and why', async () => {
    await edit('chapter: 1', 'chapter: one');
    const catalog = await LiveCatalog.load(dir);
    expect([...catalog.keys()]).toEqual(['quiz-ch02']);
    expect(catalog.folderLabs()).toEqual([
      { id: 'quiz-ch01', version: null, issues: [expect.objectContaining({ file: path.join('quiz-ch01', 'lab.yaml'), line: 3, column: expect.any(Number) })] },
      { id: 'quiz-ch02', version: catalog.get('quiz-ch02')!.version, issues: [] },
    ]);
  });

  it('holds what grading reads, read once: a later edit of the folder changes nothing held; self-test files are no part of it', async () => {
    const catalog = await LiveCatalog.load(dir);
    const lab = catalog.get('quiz-ch01')!;
    expect([...lab.files.keys()]).toEqual(['lab.yaml']);
    const text = lab.files.get('lab.yaml')!.toString('utf8');
    await edit('points: 1', 'points: 2');
    await writeFile(path.join(dir, 'quiz-ch01', 'solution', 'answers.json'), '{}');
    expect(lab.files.get('lab.yaml')!.toString('utf8')).toBe(text);
    expect(lab.definition.kind === 'quiz' && lab.definition.questions[0]!.points).toBe(1);
  });

  it('adopts a version from its files only when they hash to it and pass validation', async () => {
    const catalog = await LiveCatalog.load(dir);
    const v1 = catalog.get('quiz-ch01')!;
    await edit('points: 1', 'points: 2');
    const v2 = (await new LiveCatalog(dir).reload()).labs[0]!.version!;
    const v2Files = new Map([['lab.yaml', await readFile(labYaml())]]);
    expect((await catalog.adopt('quiz-ch01', v1.version, v2Files)).issues).toEqual([{ message: `its files hash to version ${v2}, not ${v1.version}` }]);
    expect(catalog.get('quiz-ch01')).toBe(v1);
    const broken = new Map([['lab.yaml', Buffer.from('id: quiz-ch01\nkind: quiz\n')]]);
    expect((await catalog.adopt('quiz-ch01', v2, broken)).issues).not.toEqual([]);
    const { lab } = await catalog.adopt('quiz-ch01', v2, v2Files);
    expect(catalog.get('quiz-ch01')).toBe(lab);
    expect(lab).toMatchObject({ version: v2, dir: path.join(dir, 'quiz-ch01') });
  });

  it('refuses a lab whose content passes the bound, naming the file', async () => {
    const big = path.join(dir, 'quiz-ch01', 'notes.bin');
    await writeFile(big, Buffer.alloc(MAX_LAB_CONTENT_BYTES + 1));
    const { labs, issues } = await new LiveCatalog(dir).reload();
    expect(labs[0]).toMatchObject({ id: 'quiz-ch01', change: 'refused' });
    expect(issues).toEqual([{ file: path.relative(dir, big), message: expect.stringContaining('4 MiB') }]);
  });

  it('scans the folder as it is now without changing what it holds', async () => {
    const catalog = await LiveCatalog.load(dir);
    const held = catalog.get('quiz-ch01')!;
    await edit('points: 1', 'points: 2');
    await rm(path.join(dir, 'quiz-ch02'), { recursive: true });
    const read = await catalog.scan();
    expect(read.map(({ id, version }) => ({ id, version }))).toEqual([{ id: 'quiz-ch01', version: expect.not.stringMatching(held.version) }]);
    expect(catalog.get('quiz-ch01')).toBe(held);
    expect([...catalog.keys()]).toEqual(['quiz-ch01', 'quiz-ch02']);
    expect(catalog.folderLabs().map((f) => f.id)).toEqual(['quiz-ch01', 'quiz-ch02']);
  });
});
