import type { KubernetesObject } from '@kubernetes/client-node';
import { defineCheck, pass, pollUntil, row, type CheckOutcome } from '@kadai/checks';
import { z } from 'zod';
import { kubeCheckFields, POLL_TIMEOUT_SECONDS, stepTimeoutMs, type KubeCheckContext } from '../context';
import { redact } from '../evidence';
import { describeRef, nameOf, readError, resourceRef } from '../resources';
import { failure } from './report';

const fields = z
  .strictObject({ ...kubeCheckFields, resource: resourceRef, reason: z.string().min(1).optional(), eventType: z.enum(['Normal', 'Warning']).optional(), messageContains: z.string().min(1).optional() })
  .refine((spec) => spec.reason !== undefined || spec.messageContains !== undefined, { message: 'say which event: reason, messageContains or both', path: ['reason'] });
type EventsSpec = z.infer<typeof fields>;

interface EventLike extends KubernetesObject {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

const line = (e: EventLike) => `${e.type ?? ''} ${e.reason ?? ''} ${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}: ${e.message ?? ''}`;

/** `events`: an event about the object(s) with this reason (and type, and words in its message), polled. */
export const eventsStep = defineCheck({
  fields,
  timeoutMs: (spec) => stepTimeoutMs(spec.timeoutSeconds, POLL_TIMEOUT_SECONDS),
  async run(spec: EventsSpec, ctx: KubeCheckContext): Promise<CheckOutcome> {
    const about = async (): Promise<EventLike[]> => {
      // by name even when the object is gone (its events outlive it); else the objects selected now
      const names = new Set(spec.resource.name ? [spec.resource.name] : (await ctx.resources.find(spec.resource, ctx.signal)).map(nameOf));
      const events = await ctx.client.list<EventLike>('v1', 'Event', ctx.resources.namespaceOf(spec.resource), { signal: ctx.signal }).catch((err: unknown) => {
        throw readError('reading events', err);
      });
      return events.filter((e) => e.involvedObject?.kind === spec.resource.kind && names.has(e.involvedObject.name ?? ''));
    };
    const wanted = (e: EventLike) =>
      (spec.reason === undefined || e.reason === spec.reason) && (spec.eventType === undefined || e.type === spec.eventType) && (spec.messageContains === undefined || (e.message ?? '').includes(spec.messageContains));
    const polled = await pollUntil({ timeoutMs: (spec.timeoutSeconds ?? POLL_TIMEOUT_SECONDS) * 1000, intervalMs: 1000, signal: ctx.signal, observe: about, judge: (seen) => (seen.some(wanted) ? 'done' : 'again') });
    const seen = polled.last ?? [];
    const expected = [spec.eventType, spec.reason, spec.messageContains && `"…${spec.messageContains}…"`].filter(Boolean).join(' ');
    const what = describeRef(spec.resource);
    const found = seen.find(wanted);
    if (found) return pass(`${what} についてイベント ${expected} がありました。`, `There is an event ${expected} about ${what}.`, redact(line(found)));
    const rows = `${row('event', false, expected, seen.length ? `${seen.length} other event(s)` : 'none')}\n${redact(seen.slice(-10).map(line).join('\n'))}`;
    return failure(ctx, { ja: `${what} についてイベント ${expected} がありません。`, en: `There is no event ${expected} about ${what}.` }, rows, []);
  },
});
