import { checkValidators } from '@kadai/graders';
import { loadLab } from '@kadai/catalog';
import { createPool, publishLabs, withdrawLabs, type Db } from '@kadai/db';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';

// The api takes a submission against the version of the lab it holds and lets the insert itself
// check that this is the published version and that the lab is not withdrawn (no look-up per
// submission). Here another api publishes and withdraws behind this one's back, as a second replica's
// `kadai labs reload` would: submissions still go to the published version, valid for it even when
// the version this api held would refuse them, and a withdrawn lab takes none.

let stack: Stack;
let db: Db;
const LAB = 'quiz-ch01';
beforeAll(async () => {
  stack = await startStack('intake_published_version', { redisDb: 12, workers: 0 });
  db = createPool(stack.databaseUrl, 2);
}, 240_000);
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

/** quiz-ch01 with a third choice for q1, loaded from a folder of its own: a version this api never held. */
async function versionWithThirdChoice() {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'kadai-intake-lab-')), LAB);
  cpSync(path.join(REPO_ROOT, 'labs', LAB), dir, { recursive: true });
  const yaml = readFileSync(path.join(dir, 'lab.yaml'), 'utf8');
  const changed = yaml.replace(/(- id: q1\n[\s\S]*?choices:\n)/, `$1      - id: "3"\n        text:\n          ja: "わからない"\n          en: "Not sure"\n`);
  expect(changed).not.toBe(yaml);
  writeFileSync(path.join(dir, 'lab.yaml'), changed);
  const { lab, issues } = await loadLab(dir, checkValidators);
  expect(issues).toEqual([]);
  return lab!;
}

const submit = (answers: Record<string, string[]>, idempotencyKey?: string) =>
  fetch(`${stack.apiUrl}/v1/submissions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.tokens.student1}`, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify({ lab: LAB, answers }),
  });
const labVersionOf = async (response: Response) => (await stack.client('student1').submission(((await response.json()) as { id: string }).id)).labVersion;

describe('accepting a submission against the published version', () => {
  it('follows a version and a withdrawal published by another api, validating against the published version', async () => {
    const held = (await stack.client('student1').lab(LAB)).version;
    const thirdChoice = { ...solutionAnswers(LAB), q1: ['3'] };
    // the version this api holds has no choice 3 for q1: refused
    const refused = await submit(thirdChoice);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('q1');

    const newer = await versionWithThirdChoice();
    expect(newer.version).not.toBe(held);
    await publishLabs(db, [newer]);
    // the same answers are now valid: taken against the newer version, which this api never loaded from a folder
    const accepted = await submit(thirdChoice);
    expect(accepted.status).toBe(202);
    expect(await labVersionOf(accepted)).toBe(newer.version);
    // and the reference answers too, against the newer version, not the one first held
    const reference = await submit(solutionAnswers(LAB));
    expect(reference.status).toBe(202);
    expect(await labVersionOf(reference)).toBe(newer.version);

    // the shipped version published again while this api holds the newer one, whose answers it
    // would accept: the submission is taken against the shipped version (the insert checked it)
    const shipped = (await loadLab(path.join(REPO_ROOT, 'labs', LAB), checkValidators)).lab!;
    expect(shipped.version).toBe(held);
    await publishLabs(db, [shipped]);
    const back = await submit(solutionAnswers(LAB), 'replayed-after-withdrawal');
    expect(back.status).toBe(202);
    expect(await labVersionOf(back)).toBe(held);

    // withdrawn by another api: nothing is stored, and a replay of an earlier Idempotency-Key gets the withdrawal too
    const before = (await stack.sql('SELECT id FROM submissions')).length;
    expect(await withdrawLabs(db, [LAB])).toEqual([LAB]);
    for (const key of [undefined, 'replayed-after-withdrawal']) {
      const withdrawn = await submit(solutionAnswers(LAB), key);
      expect(withdrawn.status).toBe(409);
      expect(await withdrawn.text()).toContain('withdrawn');
    }
    expect((await stack.sql('SELECT id FROM submissions')).length).toBe(before);

    // published again: taken again
    await publishLabs(db, [shipped]);
    expect((await submit(solutionAnswers(LAB))).status).toBe(202);
  }, 120_000);
});
