import type { Stack } from './stack';
import { until } from './until';

export type LabChange = { id: string; change: string; version: string | null; previousVersion: string | null };

/** POST /v1/labs/reload (as the admin unless told): the status, each lab's change, and the whole answer. */
export async function reloadLabs(stack: Stack, token = stack.tokens.admin) {
  const response = await fetch(`${stack.apiUrl}/v1/labs/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { labs?: LabChange[]; errors?: Array<{ text: string }>; detail?: string };
  return { status: response.status, labs: body.labs ?? [], body };
}

/** Asks for a regrade as the instructor and waits until that run's grade is recorded. */
export async function regraded(stack: Stack, id: string, run: number, timeoutMs = 60_000) {
  const response = await fetch(`${stack.apiUrl}/v1/submissions/${id}/regrade`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.tokens.sensei}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'lab changed' }),
  });
  if (response.status !== 202) throw new Error(`regrade of ${id}: ${response.status} ${await response.text()}`);
  return until(`run ${run} of ${id} graded`, async () => {
    const view = await stack.client('sensei').submission(id);
    return view.gradedRun === run && view.state === 'graded' ? view : undefined;
  }, timeoutMs);
}

/**
 * Drops the files PostgreSQL keeps of a lab's versions (as a version recorded by an older kadai
 * has none): a process that does not hold the lab already — a worker whose labs folder lacks it —
 * cannot load its published version and fails its gradings as an infrastructure error (retried,
 * then `error`). A process that starts with the lab in its folder publishes the files again.
 */
export async function forgetLabFiles(stack: Stack, labId: string): Promise<void> {
  await stack.sql('UPDATE lab_versions SET files = NULL WHERE lab_id = $1', [labId]);
}
