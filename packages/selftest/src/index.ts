import { loadSelfTests, type Lab, type SelfTestCase } from '@kadai/catalog';
import { ApiError, type KadaiClient } from '@kadai/client';
import { packLayers } from '@kadai/intake';
import { judge } from './judge';

export { judge, type Verdict } from './judge';

export interface CaseOutcome {
  lab: string;
  case: string;
  ok: boolean;
  /** Why the case did not behave as its lab says, or a one-line summary when it did. */
  detail: string;
  score: number | null;
  maxScore: number | null;
}

/** Files that describe a self-test case and are not part of the submission. */
const notSubmitted = (rel: string) => rel === 'expect.yaml';

/** The statuses with which intake refuses a submission's content (not auth, not rate limits). */
const INPUT_REFUSALS = new Set([400, 413, 415, 422]);

/** How long a case may wait in the queue behind the others before its own grading starts. */
const QUEUE_WAIT_MS = 30 * 60_000;

/**
 * Waits for a case's result, allowing `gradingMs` from the moment its grading starts: time spent
 * queued behind other cases (the worker grades a few at a time) is not the lab's to answer for.
 */
async function waitForGrading(client: KadaiClient, submissionId: string, gradingMs: number) {
  const gradingLimit = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onState = (view: { state: string }) => {
    if (view.state === 'running' && !timer) timer = setTimeout(() => gradingLimit.abort(new Error(`still grading after ${gradingMs} ms`)), gradingMs);
  };
  try {
    return await client.waitForResult(submissionId, QUEUE_WAIT_MS + gradingMs, onState, gradingLimit.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function runCase(client: KadaiClient, lab: Lab, c: SelfTestCase, timeoutMs: number): Promise<CaseOutcome> {
  const id = lab.definition.id;
  try {
    const archive = await packLayers(c.layers, { exclude: notSubmitted, remove: c.remove });
    const accepted = await client.submitArchive(id, archive);
    const view = await waitForGrading(client, accepted.id, timeoutMs);
    return { lab: id, case: c.name, ...judge(view, c), score: view.score, maxScore: view.maxScore };
  } catch (error) {
    // Intake refusing the upload (nothing stored) is how most rejections show.
    if (c.rejected && error instanceof ApiError && INPUT_REFUSALS.has(error.problem.status)) return { lab: id, case: c.name, ok: true, detail: `rejected as expected: ${error.message}`, score: null, maxScore: null };
    return { lab: id, case: c.name, ok: false, detail: (error as Error).message, score: null, maxScore: null };
  }
}

/** A case's name across labs: `<lab>/<case>`, e.g. `k8s-secret/wrong/bad-key`. */
export const caseKey = (o: { lab: string; case: string }) => `${o.lab}/${o.case}`;

/**
 * Submits every lab's solution and wrong variants (`only`: just these cases, by caseKey) through
 * the real API and worker, `concurrency` at a time, and reports each case. The token must be
 * allowed to see every check (an instructor).
 */
export async function runSelfTests(client: KadaiClient, labs: Lab[], options: { concurrency: number; only?: ReadonlySet<string>; onOutcome?: (o: CaseOutcome) => void }): Promise<CaseOutcome[]> {
  const cases: Array<() => Promise<CaseOutcome>> = [];
  for (const lab of labs) {
    const { cases: found, issues } = await loadSelfTests(lab);
    for (const issue of issues) cases.push(async () => ({ lab: lab.definition.id, case: '(lab)', ok: false, detail: issue.message, score: null, maxScore: null }));
    const timeoutMs = (lab.definition.timeLimitSeconds + 120) * 1000;
    for (const c of found) if (!options.only || options.only.has(caseKey({ lab: lab.definition.id, case: c.name }))) cases.push(() => runCase(client, lab, c, timeoutMs));
  }
  const outcomes: CaseOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const outcome = await cases[next++]!();
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
  return outcomes.sort((a, b) => caseKey(a).localeCompare(caseKey(b)));
}
