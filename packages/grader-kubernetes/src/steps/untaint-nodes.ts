import { defineCheck, pass, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { z } from 'zod';
import { APPLY_TIMEOUT_SECONDS, kubeCheckFields, stepTimeoutMs, type KubeCheckContext } from '../context';

const fields = z.strictObject({
  ...kubeCheckFields,
  /** The attempt's nodes (course names) that lose the taint. */
  nodes: z.array(z.string().min(1)).min(1),
  /** The key of the taint the lab gave them in kubernetes.nodes (every effect of it goes). */
  key: z.string().min(1),
});

/**
 * `untaintNodes` (scheduling labs, kadai's own action): removes a taint the lab's nodes started
 * with. A lab holds nodes back this way until a moment of its script — E03 keeps the other nodes
 * out of the first placement so the Deployment's Pod starts on m04 for certain; E10 "adds" a node
 * (the course's `minikube node add`) by releasing it. Never a student's step.
 */
export const untaintNodesStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, APPLY_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const nodes = ctx.nodes;
    if (!nodes) throw new InfrastructureError(`lab ${ctx.definition.id} uses untaintNodes but declares no kubernetes.nodes`, false);
    const log: string[] = [];
    for (const name of spec.nodes) {
      // the lab declared the taint, so a refusal (the taint is gone) is the lab's bug, not the student's
      const said = await nodes.run({ verb: 'taint', line: 0, target: { kind: 'Node', name }, add: [], remove: [{ key: spec.key }], overwrite: false }, ctx.signal).catch((err: unknown) => {
        throw new InfrastructureError(`kadai could not remove the taint ${spec.key} from node ${name}: ${(err as Error).message}`, false, { cause: err });
      });
      log.push(said);
    }
    return pass(`kadai がノード ${spec.nodes.join(', ')} から Taint ${spec.key} を外しました。`, `kadai removed the taint ${spec.key} from node(s) ${spec.nodes.join(', ')}.`, log.join('\n'));
  },
});
