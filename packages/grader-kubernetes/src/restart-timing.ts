/**
 * When a container the kubelet killed started, was told to stop (its `Killing` event) and ended:
 * read from the Pod's container status (`lastState.terminated`) and the Pod's events. All three
 * are whole seconds as the API server stores them, so windows checked against them need a second
 * of slack either way.
 */

export interface TerminatedRun {
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
}

export interface ContainerRunStatus {
  name: string;
  restartCount?: number;
  lastState?: { terminated?: TerminatedRun };
}

export interface PodEvent {
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  eventTime?: string | null;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
}

export interface RestartTimeline {
  startedAt: Date;
  finishedAt: Date;
  /** The kubelet's first `Killing` event for the container within that run (absent: not seen yet). */
  killing?: { at: Date; message: string };
}

const when = (value: string | null | undefined): Date | undefined => (value ? new Date(value) : undefined);
// an aggregated event (x2 over …) keeps its first occurrence in firstTimestamp
const eventAt = (e: PodEvent): Date | undefined => when(e.eventTime) ?? when(e.firstTimestamp) ?? when(e.lastTimestamp);
const SLACK_MS = 1000;

/** The last finished run of the container and the kill that ended it, once the container has restarted. */
export function restartTimeline(status: ContainerRunStatus | undefined, podName: string, events: readonly PodEvent[]): RestartTimeline | undefined {
  const run = status?.lastState?.terminated;
  const startedAt = when(run?.startedAt);
  const finishedAt = when(run?.finishedAt);
  if (!status || (status.restartCount ?? 0) < 1 || !startedAt || !finishedAt) return undefined;
  const killing = events
    .filter((e) => e.reason === 'Killing' && e.involvedObject?.kind === 'Pod' && e.involvedObject.name === podName && (e.involvedObject.fieldPath ?? '').includes(`{${status.name}}`))
    .map((e) => ({ at: eventAt(e), message: e.message ?? '' }))
    .filter((k): k is { at: Date; message: string } => k.at !== undefined && k.at.getTime() >= startedAt.getTime() - SLACK_MS && k.at.getTime() <= finishedAt.getTime() + SLACK_MS)
    .sort((a, b) => a.at.getTime() - b.at.getTime())[0];
  return { startedAt, finishedAt, ...(killing ? { killing } : {}) };
}

export interface Window {
  min: number;
  max: number;
}

export const seconds = (from: Date, to: Date): number => Math.round((to.getTime() - from.getTime()) / 1000);
export const within = (value: number, window: Window): boolean => value >= window.min && value <= window.max;
