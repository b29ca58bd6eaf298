import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, lastLines, pass, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { redact } from '../evidence';
import { currentPodsOf } from '../pods';
import { describeRef, nameOf, resourceRef } from '../resources';
import { watchResource } from '../watch';
import { failedPoll } from './report';

const fields = z
  .strictObject({ ...kubeCheckFields, resource: resourceRef, container: z.string().min(1).optional(), contains: z.string().min(1).optional(), matches: z.string().min(1).optional() })
  .refine((spec) => (spec.contains === undefined) !== (spec.matches === undefined), { message: 'say what the log shows: contains or matches (one of them)', path: ['contains'] });

const MAX_PODS = 5;

interface PodLike extends KubernetesObject {
  spec?: { containers?: { name: string }[] };
  status?: { containerStatuses?: { name: string; restartCount?: number }[] };
}

/**
 * `logs`: a Pod's container log shows a line, polled. A container that crashed and restarted is
 * read from its previous run when the current one has logged nothing yet (as `kubectl logs
 * --previous`); crash loops are no reason to stop looking here — they are often what the log explains.
 */
export const logsStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const pattern = spec.matches !== undefined ? new RegExp(spec.matches, 'm') : undefined;
    const shows = (log: string) => (spec.contains !== undefined ? log.includes(spec.contains) : (pattern?.test(log) ?? false));
    let logs = new Map<string, string>();
    const readLogs = async (objects: KubernetesObject[]) => {
      // a workload's current Pods only: an old ReplicaSet's log must not pass a check that follows a rollout
      const pods = (await currentPodsOf(ctx, spec.resource, objects)) as PodLike[];
      logs = new Map();
      for (const pod of pods.slice(0, MAX_PODS)) {
        const container = spec.container ?? pod.spec?.containers?.[0]?.name;
        let log = await ctx.evidence.log(nameOf(pod), container, { tailLines: 200, signal: ctx.signal });
        const restarted = (pod.status?.containerStatuses?.find((c) => c.name === container)?.restartCount ?? 0) > 0;
        if (!shows(log) && restarted) log = `${await ctx.evidence.log(nameOf(pod), container, { tailLines: 200, previous: true, signal: ctx.signal })}${log}`;
        logs.set(`${nameOf(pod)}/${container ?? ''}`, log);
      }
    };
    const polled = await watchResource(ctx, spec.resource, {
      timeoutSeconds: spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS,
      holds: () => [...logs.values()].some(shows),
      crashLoopExpected: true,
      observeAlso: readLogs,
    });
    const expected = spec.contains !== undefined ? `contains "${spec.contains}"` : `matches /${spec.matches}/`;
    const what = describeRef(spec.resource);
    const hit = [...logs].find(([, log]) => shows(log));
    if (polled.ok && hit) return pass(`${hit[0]} のログに期待した内容があります。`, `The log of ${hit[0]} shows what was expected.`, row(`log of ${hit[0]}`, true, expected, 'found'));
    const tails = [...logs].map(([name, log]) => `--- log of ${name} (last lines) ---\n${lastLines(log, 20) || '(empty)'}`).join('\n');
    return failedPoll(ctx, polled, { ja: `${what} のログに期待した内容がありません（${expected}）。`, en: `The log of ${what} does not show what was expected (${expected}).` }, `${row('log', false, expected, logs.size ? 'not found' : 'no Pod')}\n${redact(tails)}`);
  },
});
