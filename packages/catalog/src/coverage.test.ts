import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkCoverage } from './coverage';
import type { Lab, SelfTestCase } from './lab';
import type { LabDefinition } from './schema';

const check = (id: string) => ({ id, type: 'apply', points: 1, title: { ja: id, en: id } });
const variant = (fails: string[]): SelfTestCase => ({ name: 'wrong/x', layers: [], remove: [], fails, skipped: [], rejected: false });
const REASON = 'kadai applies its own fixture here';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kadai-coverage-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const lab = (): Lab => ({ dir, version: 'v', files: new Map(), definition: { id: 'lab-x', kind: 'docker', checks: ['applied', 'serves', 'fixture'].map(check) } as unknown as LabDefinition });

describe('checkCoverage', () => {
  it('lists the checks no variant fails and the lab does not declare', async () => {
    await writeFile(path.join(dir, 'unfailed.yaml'), `fixture: "${REASON}"\n`);
    const { coverage, issues } = await checkCoverage(lab(), [variant(['serves'])]);
    expect(issues).toEqual([]);
    expect(coverage).toEqual({ lab: 'lab-x', undeclared: ['applied'], declared: { fixture: REASON } });
  });

  it('reports a declared check that a variant fails, an unknown id and a missing reason', async () => {
    await writeFile(path.join(dir, 'unfailed.yaml'), `serves: "${REASON}"\nnope: "${REASON}"\napplied: "x"\n`);
    const { issues } = await checkCoverage(lab(), [variant(['serves'])]);
    expect(issues.map((i) => i.message)).toEqual(['applied: say why no honest mistake fails this check']);
    await writeFile(path.join(dir, 'unfailed.yaml'), `serves: "${REASON}"\nnope: "${REASON}"\n`);
    const again = await checkCoverage(lab(), [variant(['serves'])]);
    expect(again.issues.map((i) => i.message)).toEqual(['"serves" is failed by a wrong variant: it is not unfailed, remove it here', 'no check with id "nope" in this lab']);
  });
});
