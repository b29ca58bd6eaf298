import type { KubernetesObject } from '@kubernetes/client-node';
import { text } from '@kadai/checks';
import { describeObject } from './resources';
import type { TerminalState } from './evidence';

interface WithConditions extends KubernetesObject {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/**
 * ReplicaSets report a refused Pod creation as their `ReplicaFailure` condition. A Deployment copies
 * its ReplicaSets' — also an old one's for a moment after a fixed template rolled out — so only a
 * ReplicaSet's own condition is judged (a Deployment's current one: Evidence.stuckBehind).
 */
const REPORTING_KINDS = new Set(['ReplicaSet']);

/** Pod Security admission's refusal of the template ("violates PodSecurity \"baseline:latest\": …"). */
const POD_SECURITY_REFUSAL = /violates PodSecurity/;
/** A LimitRange's refusal ("maximum cpu usage per Container is 1, but limit is 2"). */
const LIMIT_RANGE_REFUSAL = /(maximum|minimum) \S+ usage per (Container|Pod|PersistentVolumeClaim)|limit to request ratio per/;

/**
 * A ReplicaSet whose Pods the API server refuses to create (its `ReplicaFailure` condition:
 * forbidden by Pod Security, by the student's own LimitRange) is stuck for good: the
 * controller retries the same template and is refused the same way, so a check stops at once
 * instead of polling to its deadline (issue 9: fail fast on Forbidden).
 *
 * Only those two causes are terminal, as they refuse the same template every time. Not: a quota's
 * refusal (room may come free as other Pods end — a rolling update under a tight quota is refused
 * for a moment; kadai's own quota is kadai's shortage, judged at the deadline), a fresh namespace's
 * "error looking up service account" (passes in a moment), and in a lab that does not teach
 * resources a LimitRange's refusal (the LimitRange is kadai's guard there, not the exercise's). A
 * StatefulSet, DaemonSet or Job reports refusals only as events: those still poll to the deadline,
 * as do bare Pods a selector finds none of (the refused Pod does not exist to be seen).
 */
export function refusedCreation(objects: readonly KubernetesObject[], options: { teachesResources: boolean }): TerminalState | undefined {
  for (const object of objects as WithConditions[]) {
    if (!REPORTING_KINDS.has(object.kind ?? '')) continue;
    const failure = object.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    const message = failure?.message ?? '';
    const permanent = POD_SECURITY_REFUSAL.test(message) || (options.teachesResources && LIMIT_RANGE_REFUSAL.test(message));
    if (!/\bforbidden\b/.test(message) || /quota/i.test(message) || !permanent) continue;
    const what = describeObject(object);
    return {
      pod: what,
      reason: 'Forbidden',
      message: text(`${what} の Pod は API サーバーに作成を拒否されています（${message}）。`, `The API server refuses to create the Pods of ${what} (${message}).`),
    };
  }
  return undefined;
}

/** Whether a check's expectation is about a refused creation itself (then a refusal is no reason to stop). */
export const expectsRefusal = (spec: unknown): boolean => /ReplicaFailure|FailedCreate/.test(JSON.stringify(spec));
