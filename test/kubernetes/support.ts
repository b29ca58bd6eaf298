import { eventually, kubectlAsWorker } from '../cluster/kube';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../support/stack';

/** The labs of these tests (small labs exercising every phase of the grader). */
export const TEST_LABS = path.join(REPO_ROOT, 'test/kubernetes/labs');

/** A test lab's solution files, with some replaced. */
export function handIn(lab: string, files: string[], replace: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, replace[f] ?? readFileSync(path.join(TEST_LABS, lab, 'solution', f), 'utf8')]));
}

/** Attempt namespaces of a submission (as kadai's worker identity sees them), with their run labels. */
export async function attemptNamespaces(submissionId: string): Promise<{ name: string; run: string; phase: string }[]> {
  const r = await kubectlAsWorker(['get', 'namespaces', '-l', `kadai.submission=${submissionId}`, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string; labels: Record<string, string> }; status: { phase: string } }[] }).items;
  return items.map((ns) => ({ name: ns.metadata.name, run: ns.metadata.labels['kadai.run'] ?? '', phase: ns.status.phase }));
}

/** Waits until no namespace of the submission is left (deletion runs in the background). */
export const noNamespaceLeft = (submissionId: string, timeoutMs = 120_000) =>
  eventually(`the attempt namespaces of ${submissionId} gone`, async () => (await attemptNamespaces(submissionId)).length === 0, timeoutMs, 1000);
