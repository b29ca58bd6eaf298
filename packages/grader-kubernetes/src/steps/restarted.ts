import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { describeRef, readError, resourceRef } from '../resources';
import { restartTimeline, seconds, within, type ContainerRunStatus, type PodEvent, type RestartTimeline } from '../restart-timing';
import { failure } from './report';

const window = z.strictObject({ min: z.number().nonnegative(), max: z.number().positive() }).refine((w) => w.min <= w.max, { message: 'min is at most max' });

const fields = z
  .strictObject({
    ...kubeCheckFields,
    resource: resourceRef,
    /** Default: the Pod's first container. */
    container: z.string().min(1).optional(),
    /** Seconds from the container's start to the kubelet's Killing event (the probe's failures). */
    killedAfter: window.optional(),
    /** Seconds from the Killing event to the container's end (the termination grace period honoured). */
    stoppedWithin: window.optional(),
    /** The Killing event's message contains this (e.g. "failed liveness probe"). */
    killMessageContains: z.string().min(1).optional(),
  })
  .refine((spec) => spec.resource.kind === 'Pod' && spec.resource.name !== undefined, { message: 'restarted looks at one Pod: kind: Pod with a name', path: ['resource'] });
type RestartedSpec = z.infer<typeof fields>;

interface PodLike extends KubernetesObject {
  spec?: { containers?: { name: string }[] };
  status?: { containerStatuses?: ContainerRunStatus[] };
}

interface Seen {
  pod?: PodLike;
  timeline?: RestartTimeline;
}

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

/** Each expectation as a row; empty until the restart and its Killing event are seen. */
function judge(spec: RestartedSpec, timeline: RestartTimeline | undefined): { ok: boolean; text: string }[] {
  if (!timeline?.killing) return [];
  const { startedAt, finishedAt, killing } = timeline;
  const rows: { ok: boolean; text: string }[] = [];
  if (spec.killedAfter) {
    const s = seconds(startedAt, killing.at);
    rows.push({ ok: within(s, spec.killedAfter), text: row('started → Killing', within(s, spec.killedAfter), `${spec.killedAfter.min}–${spec.killedAfter.max} s`, `${s} s`) });
  }
  if (spec.stoppedWithin) {
    const s = seconds(killing.at, finishedAt);
    rows.push({ ok: within(s, spec.stoppedWithin), text: row('Killing → finished', within(s, spec.stoppedWithin), `${spec.stoppedWithin.min}–${spec.stoppedWithin.max} s`, `${s} s`) });
  }
  if (spec.killMessageContains) {
    const ok = killing.message.includes(spec.killMessageContains);
    rows.push({ ok, text: row('Killing message', ok, `contains "${spec.killMessageContains}"`, killing.message) });
  }
  return rows;
}

/**
 * `restarted`: the kubelet restarted a Pod's container by itself (a liveness probe's failures), and
 * when: the container's last run (`lastState.terminated`) against the kubelet's Killing event —
 * killed so long after it started, and stopped so long after the kill (the grace period). The
 * same Pod (by name, restartCount ≥ 1): a Pod made again would start from 0. Polled until the
 * restart and its event are seen; a restart whose timing is wrong fails at once.
 */
export const restartedStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const name = spec.resource.name ?? '';
    const polled = await pollUntil<Seen>({
      timeoutMs: (spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS) * 1000,
      intervalMs: 1000,
      signal: ctx.signal,
      observe: async () => {
        const pod = (await ctx.resources.find(spec.resource, ctx.signal))[0] as PodLike | undefined;
        const container = spec.container ?? pod?.spec?.containers?.[0]?.name;
        const status = pod?.status?.containerStatuses?.find((s) => s.name === container);
        if (!pod || (status?.restartCount ?? 0) < 1) return pod ? { pod } : {};
        const events = await ctx.client.list<PodEvent & KubernetesObject>('v1', 'Event', ctx.namespace, { signal: ctx.signal }).catch((err: unknown) => {
          throw readError('reading events', err);
        });
        const timeline = restartTimeline(status, name, events);
        return { pod, ...(timeline ? { timeline } : {}) };
      },
      judge: (seen) => (!seen.timeline?.killing ? 'again' : judge(spec, seen.timeline).every((r) => r.ok) ? 'done' : 'stop'),
    });
    const seen = polled.last ?? {};
    const what = describeRef(spec.resource);
    const timeline = seen.timeline;
    const facts = timeline
      ? [`started ${iso(timeline.startedAt)}`, timeline.killing ? `Killing ${iso(timeline.killing.at)}: ${timeline.killing.message}` : 'Killing: (no event seen)', `finished ${iso(timeline.finishedAt)}`].join('\n')
      : row('restartCount', false, '≥ 1', seen.pod?.status?.containerStatuses?.map((s) => `${s.name}: ${s.restartCount ?? 0}`).join(', ') ?? '(no Pod)');
    const rows = [facts, ...judge(spec, timeline).map((r) => r.text)].join('\n');
    if (polled.ok) return pass(`${what} のコンテナは kubelet に再起動され、時間も期待どおりです。`, `${what}'s container was restarted by the kubelet, with the expected timing.`, rows);
    if (!timeline?.killing) return failure(ctx, { ja: `${what} のコンテナは時間内に kubelet によって再起動されませんでした。`, en: `${what}'s container was not restarted by the kubelet in time.` }, rows, seen.pod ? [seen.pod] : []);
    return failure(ctx, { ja: `${what} のコンテナは再起動されましたが、時間または理由が期待と違います。`, en: `${what}'s container was restarted, but not with the expected timing or reason.` }, rows, seen.pod ? [seen.pod] : []);
  },
});
