import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { deleteAndReplace, readyPods } from '../pods';
import { describeRef, nameOf, resourceRef } from '../resources';
import { failedPoll, failure } from './report';

const fields = z.strictObject({ ...kubeCheckFields, resource: resourceRef });

/** `deletePod`: one Ready Pod deleted; a replacement with a new UID, of the same controller, Ready within the time (self-healing). */
export const deletePodStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const timeoutSeconds = spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS;
    const what = describeRef(spec.resource);
    const { polled, ready } = await readyPods(ctx, spec.resource, timeoutSeconds);
    const pod = ready[0];
    if (!pod) return failedPoll(ctx, polled, { ja: `${what} に Ready な Pod がありません。`, en: `${what} has no Ready Pod to delete.` }, row('Ready Pod', false, 'one', 'none'));
    const replaced = await deleteAndReplace(ctx, pod, timeoutSeconds);
    if (replaced.pod) return pass(`Pod ${nameOf(pod)} を削除すると、新しい Pod ${nameOf(replaced.pod)} が作られました。`, `After Pod ${nameOf(pod)} was deleted, a new Pod ${nameOf(replaced.pod)} took its place.`, replaced.rows.join('\n'));
    return failure(ctx, { ja: `Pod ${nameOf(pod)} を削除した後、代わりの Pod が Ready になりませんでした。`, en: `After Pod ${nameOf(pod)} was deleted, no replacement became Ready.` }, replaced.rows.join('\n'), polled.last?.objects ?? []);
  },
});
