import type { KubernetesObject } from '@kubernetes/client-node';
import { fail, type CheckOutcome } from '@kadai/checks';
import type { PollResult } from '@kadai/checks';
import type { KubeCheckContext } from '../context';
import type { Observation } from '../watch';

/**
 * A failed step's outcome: its message (or, when a Pod got stuck for good, the stuck state's),
 * what was expected vs found, and the cluster's side — Pods, events and logs of the objects
 * involved. Gathering evidence never hides the verdict: if the cluster cannot be read any more
 * (the budget ran out), the rows alone are kept.
 */
export async function failure(ctx: KubeCheckContext, message: { ja: string; en: string }, rows: string, objects: readonly KubernetesObject[]): Promise<CheckOutcome> {
  const about = objects.length ? await ctx.evidence.about(objects).catch((err: unknown) => `(no more evidence: ${(err as Error).message})`) : '';
  return fail(message.ja, message.en, [rows, about].filter(Boolean).join('\n'));
}

/** A polled step that did not hold: a stuck Pod's message first, else the step's own. */
export function failedPoll(ctx: KubeCheckContext, polled: PollResult<Observation>, message: { ja: string; en: string }, rows: string): Promise<CheckOutcome> {
  const terminal = polled.last?.terminal;
  const said = terminal ? { ja: `${message.ja}\n${terminal.message.ja}`, en: `${message.en}\n${terminal.message.en}` } : message;
  return failure(ctx, said, rows, polled.last?.objects ?? []);
}
