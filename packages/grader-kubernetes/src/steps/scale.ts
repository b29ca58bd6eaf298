import { defineCheck } from '@kadai/checks';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef } from '../resources';
import { act, actionFields, target } from './action';

const fields = z.strictObject({ ...actionFields, replicas: z.number().int().nonnegative().max(50) });

/** `scale`: kadai sets the replicas of a named Deployment, ReplicaSet or StatefulSet, as the attempt. */
export const scaleStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  run: (spec, ctx: KubeCheckContext) =>
    act(ctx, { ja: `${describeRef(spec.resource)} のスケール（${spec.replicas}）`, en: `Scaling ${describeRef(spec.resource)} to ${spec.replicas}` }, async (kubectl) => {
      await kubectl.scale(target(spec.resource), spec.replicas, ctx.signal);
      return `${describeRef(spec.resource)} scaled to ${spec.replicas}`;
    }),
});
