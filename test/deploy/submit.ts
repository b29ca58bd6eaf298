import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/stack';

/** One request to a deployed kadai as a signed-in user: its status and JSON answer. */
export type Call = (method: string, urlPath: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

/** Hands a submission in through `call` and polls it until it is graded, rejected or `error`. */
export async function submitAndWait(call: Call, body: unknown, timeoutMs: number): Promise<Record<string, unknown>> {
  const accepted = await call('POST', '/v1/submissions', body);
  expect(accepted.status).toBe(202);
  const id = String(accepted.json.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await call('GET', `/v1/submissions/${id}`);
    if (['graded', 'error', 'rejected'].includes(String(json.state))) return json;
    if (Date.now() > deadline) throw new Error(`submission ${id} still ${String(json.state)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Hands in a lab's shipped solution through `call` and expects it graded with every check passing, full marks. */
export async function expectSolutionGradedInFull(call: Call, lab: string, timeoutMs: number): Promise<void> {
  const view = await submitAndWait(call, { lab, files: filesOf(path.join(REPO_ROOT, 'labs', lab, 'solution')) }, timeoutMs);
  const failed = (view.checks as { checkId: string; status?: string }[]).filter((c) => c.status !== 'pass');
  expect({ lab, state: view.state, failed }).toEqual({ lab, state: 'graded', failed: [] });
  expect(view.score).toBe(view.maxScore);
}

/** A folder's files as a JSON submission carries them. */
export function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
}
