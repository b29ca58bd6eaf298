import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';
import { runKadai } from '../support/cli';
import { until } from '../support/until';

// A lab added or changed in the labs folder takes effect without restarting the api or the worker
// (`kadai labs reload`): a submission records the version it was submitted against, a regrade the
// version it was graded with; a lab that fails validation is refused (file:line) and the old
// version keeps grading. The CLI's `kadai labs reload` is run once, for the refusal it prints.

let stack: Stack;
let labsDir: string;
const labYaml = () => path.join(labsDir, 'quiz-ch01', 'lab.yaml');
beforeAll(async () => {
  labsDir = mkdtempSync(path.join(tmpdir(), 'kadai-reload-labs-'));
  cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch01'), path.join(labsDir, 'quiz-ch01'), { recursive: true });
  stack = await startStack('lab_reload', { redisDb: 10, workers: 1, labsDir, apiEnv: { KADAI_LOOKUP_CACHE_MS: '0' } });
}, 240_000); // starting an api and a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const kadai = (args: string[], token: string = stack.tokens.admin) => runKadai(stack.apiUrl, args, { KADAI_TOKEN: token });

type Change = { id: string; change: string; version: string | null; previousVersion: string | null };
/** POST /v1/labs/reload as the admin (the CLI's own answer is checked once: it is slow to start on a loaded machine). */
const reload = async (token = stack.tokens.admin) => {
  const response = await fetch(`${stack.apiUrl}/v1/labs/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { labs?: Change[]; errors?: Array<{ text: string }>; detail?: string };
  return { status: response.status, labs: body.labs ?? [], body };
};
const versionOf = async (lab: string) => (await stack.client('student1').lab(lab)).version;

/** Asks for a regrade as the instructor and waits until that run's grade is recorded. */
async function regraded(id: string, run: number) {
  const response = await fetch(`${stack.apiUrl}/v1/submissions/${id}/regrade`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.tokens.sensei}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'lab changed' }),
  });
  expect(response.status).toBe(202);
  return until(`run ${run} of ${id} graded`, async () => {
    const view = await stack.client('sensei').submission(id);
    return view.gradedRun === run && view.state === 'graded' ? view : undefined;
  });
}

describe('adding or changing a lab without restarting', () => {
  it('regrades with the changed lab, records which version graded it, and keeps the old version when the change is broken', async () => {
    const v1 = await versionOf('quiz-ch01');
    const accepted = await stack.client('student1').submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    const first = await stack.client('student1').waitForResult(accepted.id, 60_000);
    expect(first).toMatchObject({ state: 'graded', score: 8, maxScore: 8, labVersion: v1, gradedLabVersion: v1 });

    // q1 is worth 3 points now; nothing is restarted
    const original = readFileSync(labYaml(), 'utf8');
    writeFileSync(labYaml(), original.replace(/(- id: q1\n\s+type: single\n\s+)points: 1/, '$1points: 3'));
    const changed = await reload();
    expect(changed.status).toBe(200);
    const v2 = changed.labs.find((l) => l.id === 'quiz-ch01')!;
    expect(v2).toMatchObject({ change: 'updated', previousVersion: v1 });
    expect(v2.version).not.toBe(v1);
    expect(await versionOf('quiz-ch01')).toBe(v2.version);

    // the worker follows: the regrade is graded with the new version, and the score follows it
    const second = await regraded(accepted.id, 2);
    expect(second).toMatchObject({ score: 10, maxScore: 10, labVersion: v1, gradedLabVersion: v2.version });

    // a broken lab.yaml is refused naming file:line; the version loaded before keeps grading
    const broken = original.replace(/(- id: q1\n\s+type: single\n\s+)points: 1/, '$1points: lots');
    const brokenLine = broken.split('\n').findIndex((line) => line.includes('points: lots')) + 1;
    writeFileSync(labYaml(), broken);
    const refused = kadai(['labs', 'reload']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${labYaml()}:${brokenLine}:`);
    expect(refused.err).toMatch(new RegExp(`quiz-ch01 \\(version ${v2.version} kept\\)`));
    expect(await versionOf('quiz-ch01')).toBe(v2.version);
    const third = await regraded(accepted.id, 3);
    expect(third).toMatchObject({ score: 10, maxScore: 10, gradedLabVersion: v2.version });
    const resubmitted = await stack.client('student1').submitJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    expect(await stack.client('student1').waitForResult(resubmitted.id, 60_000)).toMatchObject({ score: 10, labVersion: v2.version, gradedLabVersion: v2.version });
    expect(stack.logOf('test-worker-1')).not.toContain('points: lots');
  }, 240_000);

  it('adds a new lab on reload, and only an admin may reload', async () => {
    expect((await reload(stack.tokens.sensei)).status).toBe(403);
    writeFileSync(labYaml(), readFileSync(path.join(REPO_ROOT, 'labs', 'quiz-ch01', 'lab.yaml'), 'utf8'));
    cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch02'), path.join(labsDir, 'quiz-ch02'), { recursive: true });
    const added = await reload();
    expect(added.status).toBe(200);
    expect(added.labs.map((l) => [l.id, l.change])).toEqual([
      ['quiz-ch01', 'updated'],
      ['quiz-ch02', 'added'],
    ]);
    expect((await stack.client('student1').labs()).labs.map((l) => l.id)).toEqual(['quiz-ch01', 'quiz-ch02']);
    const [row] = await stack.sql<{ actions: string[] }>(`SELECT array_agg(action ORDER BY at) AS actions FROM audit_log WHERE action = 'labs-reload'`);
    expect(row!.actions).toHaveLength(3);
  }, 60_000);
});
