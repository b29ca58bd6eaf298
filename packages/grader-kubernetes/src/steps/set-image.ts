import { defineCheck } from '@kadai/checks';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef } from '../resources';
import { act, actionFields, target } from './action';

const fields = z.strictObject({ ...actionFields, container: z.string().min(1), image: z.string().min(1) });

/** `setImage`: kadai sets one container's image (`*`: every container) of a named workload, as the attempt. */
export const setImageStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  run: (spec, ctx: KubeCheckContext) =>
    act(ctx, { ja: `${describeRef(spec.resource)} のイメージ変更`, en: `Setting the image of ${describeRef(spec.resource)}` }, async (kubectl) => {
      await kubectl.setImage(target(spec.resource), { [spec.container]: spec.image }, ctx.signal);
      return `${describeRef(spec.resource)}: ${spec.container}=${spec.image}`;
    }),
});
