import { defineCheck, pass, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeObject, describeRef, resourceRef } from '../resources';
import { watchResource } from '../watch';
import { failure } from './report';

const fields = z.strictObject({ ...kubeCheckFields, resource: resourceRef });

/** `absent`: the object (or every object the selector picks) is gone, polled — e.g. after a delete. */
export const absentStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const polled = await watchResource(ctx, spec.resource, { timeoutSeconds: spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS, holds: (objects) => objects.length === 0, stopWhenStuck: false });
    const left = polled.last?.objects ?? [];
    const what = describeRef(spec.resource);
    const evidence = row(what, left.length === 0, 'none', left.map(describeObject).join(', ') || 'none');
    if (polled.ok) return pass(`${what} はありません。`, `${what} is gone.`, evidence);
    return failure(ctx, { ja: `${what} がまだあります。`, en: `${what} still exists.` }, evidence, left);
  },
});
