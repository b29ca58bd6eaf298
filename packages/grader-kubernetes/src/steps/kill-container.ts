import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { InfrastructureError } from '@kadai/errors';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef, resourceRef } from '../resources';
import { killContainer } from '../runtime';
import { failure } from './report';

/** With `expectRestart: false`, how long the container must stay down to count as "not restarted". */
const STAYS_DOWN_MS = 5000;

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    /** Default: the Pod's first container. */
    container: z.string().min(1).optional(),
    expectRestart: z.boolean().default(true),
  })
  .refine((spec) => spec.resource.kind === 'Pod', { message: 'killContainer works on a Pod (by name or selector)', path: ['resource', 'kind'] });

interface ContainerStatus {
  name: string;
  containerID?: string;
  restartCount?: number;
  state?: { running?: unknown; waiting?: { reason?: string }; terminated?: { exitCode?: number; reason?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string; containerID?: string } };
}
interface PodLike extends KubernetesObject {
  spec?: { restartPolicy?: string; containers?: { name: string }[] };
  status?: { phase?: string; containerStatuses?: ContainerStatus[] };
}

const statusOf = (pod: PodLike | undefined, container: string) => pod?.status?.containerStatuses?.find((s) => s.name === container);
const stateOf = (s: ContainerStatus | undefined): string =>
  !s ? '(no status)' : s.state?.running ? 'running' : s.state?.terminated ? `terminated (exit ${s.state.terminated.exitCode}, ${s.state.terminated.reason ?? ''})` : `waiting (${s.state?.waiting?.reason ?? ''})`;

/**
 * `killContainer`: kadai kills the container's PID 1 through the node's runtime (capability
 * `killContainer`), as a crash would, then watches its restartCount: it must rise (restartPolicy
 * Always, or OnFailure — a killed process exits 137) or, with `expectRestart: false`, stay as it was
 * while the container stays down (restartPolicy Never).
 */
export const killContainerStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    if (!ctx.runtime) throw new InfrastructureError(`lab ${ctx.definition.id} kills a container, but this worker has no node runtime (capability killContainer)`, false);
    const what = describeRef(spec.resource);
    const pods = (await ctx.resources.find(spec.resource, ctx.signal)) as PodLike[];
    const running = pods.filter((p) => p.status?.phase === 'Running').sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    const pod = running[0];
    const container = spec.container ?? pod?.spec?.containers?.[0]?.name ?? '';
    const before = statusOf(pod, container);
    if (!pod || !before?.containerID || !before.state?.running) {
      return failure(ctx, { ja: `${what} に実行中のコンテナ ${container || ''} がありません。`, en: `${what} has no running container ${container || ''}.` }, row(`${what} ${container}`, false, 'running', stateOf(before)), pods);
    }
    const name = pod.metadata?.name ?? '?';
    const restartsBefore = before.restartCount ?? 0;
    await killContainer(ctx.runtime, before.containerID, ctx.signal);
    const killedAt = Date.now();

    const polled = await pollUntil<PodLike | undefined>({
      timeoutMs: (spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS) * 1000,
      intervalMs: 250,
      signal: ctx.signal,
      observe: async () => (await ctx.resources.find({ kind: 'Pod', name }, ctx.signal))[0] as PodLike | undefined,
      judge: (seen) => {
        const now = statusOf(seen, container);
        const restarts = now?.restartCount ?? 0;
        if (spec.expectRestart) return restarts > restartsBefore && now?.state?.running ? 'done' : 'again';
        if (restarts > restartsBefore) return 'stop';
        // not restarted: it must be seen down, and stay down a while
        return !now?.state?.running && Date.now() - killedAt >= STAYS_DOWN_MS ? 'done' : 'again';
      },
    });
    const after = statusOf(polled.last, container);
    const policy = polled.last?.spec?.restartPolicy ?? pod.spec?.restartPolicy ?? 'Always';
    const rows = [
      `killed: Pod ${name} container ${container} (PID 1, SIGKILL through the node runtime); restartPolicy ${policy}`,
      row('restartCount', polled.ok, spec.expectRestart ? `more than ${restartsBefore}` : `still ${restartsBefore}`, after?.restartCount ?? '(no status)'),
      row('state', polled.ok, spec.expectRestart ? 'running again' : 'not running', stateOf(after)),
      ...(after?.lastState?.terminated ? [`last termination: exit ${after.lastState.terminated.exitCode} (${after.lastState.terminated.reason ?? ''})`] : []),
    ].join('\n');
    if (polled.ok) {
      return spec.expectRestart
        ? pass(`Pod ${name} のコンテナ ${container} は強制終了後に再起動しました（restartCount ${restartsBefore} → ${after?.restartCount}）。`, `Container ${container} of Pod ${name} was restarted after it was killed (restartCount ${restartsBefore} → ${after?.restartCount}).`, rows)
        : pass(`Pod ${name} のコンテナ ${container} は強制終了後、再起動されませんでした（restartPolicy ${policy}）。`, `Container ${container} of Pod ${name} was not restarted after it was killed (restartPolicy ${policy}).`, rows);
    }
    return spec.expectRestart
      ? failure(ctx, { ja: `Pod ${name} のコンテナ ${container} は強制終了後に再起動されませんでした（restartPolicy ${policy}）。`, en: `Container ${container} of Pod ${name} was not restarted after it was killed (restartPolicy ${policy}).` }, rows, polled.last ? [polled.last] : [])
      : failure(ctx, { ja: `Pod ${name} のコンテナ ${container} は強制終了後に再起動されました（restartPolicy ${policy}）。`, en: `Container ${container} of Pod ${name} was restarted after it was killed (restartPolicy ${policy}).` }, rows, polled.last ? [polled.last] : []);
  },
});
