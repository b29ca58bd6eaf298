import type { KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastLines, text } from '@kadai/checks';
import type { Localized } from '@kadai/catalog';
import { isNotFound, QUOTA_NAME, type ObjectClient } from '@kadai/k8s-sandbox';
import { describeObject, nameOf, readError, type ResourceLookup } from './resources';
import { refusedCreation } from './refusals';
import { largestAllocatable, podRequest, unschedulableCause } from './starvation';

/** How much evidence one failed check carries about the cluster (the whole evidence is capped again when stored). */
const MAX_EVENTS = 15;
const MAX_LOG_PODS = 3;
const LOG_TAIL_LINES = 20;
const LOG_LIMIT_BYTES = 4096;

interface PodLike extends KubernetesObject {
  spec?: { containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}
interface ContainerStatus {
  name: string;
  image?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
}
interface EventLike extends KubernetesObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string; uid?: string };
  lastTimestamp?: string;
  eventTime?: string;
}

/** A state a Pod will not leave by waiting: checks stop polling and fail at once, saying why. */
export interface TerminalState {
  pod: string;
  container?: string;
  reason: string;
  message: Localized;
}

const REVISION = 'deployment.kubernetes.io/revision';

/** Reasons a container's wait does not end by itself (the image cannot be pulled, its config is broken). */
const STUCK_WAITING = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError']);

/** The labels that select a workload's Pods (`spec.selector.matchLabels`, a Service's `spec.selector`), if any. */
export function podSelectorOf(object: KubernetesObject): Record<string, string> | undefined {
  const spec = (object as { spec?: { selector?: unknown } }).spec;
  const selector = spec?.selector as { matchLabels?: Record<string, string> } | Record<string, string> | undefined;
  if (!selector || typeof selector !== 'object') return undefined;
  if (object.kind === 'Service') return Object.keys(selector).length ? (selector as Record<string, string>) : undefined;
  const labels = (selector as { matchLabels?: Record<string, string> }).matchLabels;
  return labels && Object.keys(labels).length ? labels : undefined;
}

/**
 * What a failed check shows about the cluster: the Pods behind the objects it looked at, their
 * terminal states, the latest events about them and the tail of their logs — only the attempt's
 * own objects, capped.
 */
export class Evidence {
  constructor(
    private readonly client: ObjectClient,
    private readonly resources: ResourceLookup,
  ) {}

  get namespace(): string {
    return this.resources.namespace;
  }

  /** The Pods an object stands for: itself, or those its selector picks (workloads, Services). */
  async podsOf(objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<KubernetesObject[]> {
    const pods = new Map<string, KubernetesObject>();
    for (const object of objects) {
      if (object.kind === 'Pod') pods.set(nameOf(object), object);
      const selector = podSelectorOf(object);
      if (selector) for (const pod of await this.resources.pods(selector, signal)) pods.set(nameOf(pod), pod);
    }
    return [...pods.values()];
  }

  /**
   * The Pods whose state decides whether waiting still makes sense: a Deployment's only from its
   * current ReplicaSet (the old one's stuck Pods are being replaced by a rollout), and no Pod that
   * is already being deleted.
   */
  async livePodsOf(objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<KubernetesObject[]> {
    return (await this.live(objects, signal)).pods;
  }

  /**
   * What behind these objects is stuck for good, if anything: a ReplicaSet whose Pods the API
   * server refuses for good (the objects' own, or a Deployment's current one; refusals.ts), else a
   * stuck Pod (terminalState). Without `refusals`, Pods only.
   */
  async stuckBehind(objects: readonly KubernetesObject[], options: { crashLoopExpected: boolean; refusals?: { teachesResources: boolean } }, signal?: AbortSignal): Promise<TerminalState | undefined> {
    const { pods, currentSets } = await this.live(objects, signal);
    const refused = options.refusals ? refusedCreation([...objects.filter((o) => o.kind === 'ReplicaSet'), ...currentSets], options.refusals) : undefined;
    return refused ?? this.terminalState(pods, { crashLoopExpected: options.crashLoopExpected });
  }

  /** The live Pods behind the objects, and the current ReplicaSet of each Deployment among them. */
  private async live(objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<{ pods: KubernetesObject[]; currentSets: KubernetesObject[] }> {
    const pods = (await this.podsOf(objects, signal)).filter((p) => !p.metadata?.deletionTimestamp);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    if (!deployments.length) return { pods, currentSets: [] };
    const sets = await this.client.list('apps/v1', 'ReplicaSet', this.namespace, signal ? { signal } : {}).catch((err: unknown) => {
      throw readError('reading ReplicaSets', err);
    });
    const revision = (o: KubernetesObject) => o.metadata?.annotations?.[REVISION];
    const currentSets = deployments.flatMap((d) => sets.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid) && revision(rs) !== undefined && revision(rs) === revision(d)));
    const current = new Set(currentSets.map((rs) => rs.metadata?.uid));
    const owned = new Set(sets.filter((rs) => rs.metadata?.ownerReferences?.some((o) => deployments.some((d) => d.metadata?.uid === o.uid))).map((rs) => rs.metadata?.uid));
    // Pods of the Deployments' other ReplicaSets are left out; any other Pod the selector picks stays
    const live = pods.filter((p) => {
      const owner = p.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet')?.uid;
      return !owner || !owned.has(owner) || current.has(owner);
    });
    return { pods: live, currentSets };
  }

  /**
   * The first Pod stuck for good: an image that cannot be pulled, a container config that cannot
   * work, no node to run on, or — unless the check expects it — a container crashing in a loop.
   */
  terminalState(pods: readonly KubernetesObject[], options: { crashLoopExpected?: boolean } = {}): TerminalState | undefined {
    for (const pod of pods as PodLike[]) {
      const name = nameOf(pod);
      const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
      if (unschedulable && !passingUnschedulable(unschedulable.message ?? '')) {
        const why = unschedulable.message ?? '';
        return { pod: name, reason: 'Unschedulable', message: text(`Pod ${name} を配置できるノードがありません（${why}）。`, `Pod ${name} cannot be scheduled on any node (${why}).`) };
      }
      for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        const waiting = status.state?.waiting;
        const reason = waiting?.reason ?? '';
        if (STUCK_WAITING.has(reason)) {
          const image = status.image ?? pod.spec?.containers?.find((c) => c.name === status.name)?.image ?? '?';
          const what = reason.includes('Image')
            ? text(`イメージ ${image} を取得できません`, `the image ${image} cannot be pulled`)
            : text('コンテナの設定に誤りがあります', 'its configuration is wrong');
          return {
            pod: name,
            container: status.name,
            reason,
            message: text(`Pod ${name} のコンテナ ${status.name} が起動できません: ${reason}（${what.ja}）。`, `Container ${status.name} of Pod ${name} cannot start: ${reason} (${what.en}).`),
          };
        }
        if (reason === 'CrashLoopBackOff' && !options.crashLoopExpected) {
          return {
            pod: name,
            container: status.name,
            reason,
            message: text(`Pod ${name} のコンテナ ${status.name} が起動直後に終了を繰り返しています（CrashLoopBackOff、再起動 ${status.restartCount ?? 0} 回）。`, `Container ${status.name} of Pod ${name} keeps exiting right after it starts (CrashLoopBackOff, ${status.restartCount ?? 0} restarts).`),
          };
        }
      }
    }
    return undefined;
  }

  /** The latest events about these objects and Pods (and the ReplicaSets between), newest last. */
  async events(objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<string> {
    return (await this.eventsAbout(objects, signal))
      .slice(-MAX_EVENTS)
      .map((e) => `${e.type ?? ''} ${e.reason ?? ''} ${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}: ${e.message ?? ''}`)
      .join('\n');
  }

  /**
   * At a check's deadline: what kept the objects from holding, when it is kadai's capacity rather
   * than the submission — a Pod waiting for room on shared nodes that other attempts fill, or a Pod
   * kadai's own quota (a guard, not the exercise's) refused. Undefined: nothing of the kind.
   */
  async kadaiShortage(objects: readonly KubernetesObject[], options: { ownNodesOnly: boolean }): Promise<string | undefined> {
    let nodes: KubernetesObject[] | undefined;
    for (const pod of (await this.livePodsOf(objects)) as PodLike[]) {
      const message = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable')?.message;
      if (!message) continue;
      // the nodes Pods of any lab may use (the shared fake nodes are kwok's and never theirs)
      nodes ??= await this.client.list('v1', 'Node', '', { labelSelector: 'type!=kwok' }).catch((err: unknown) => {
        throw readError('reading nodes', err);
      });
      const shortOf = nodes;
      const cause = unschedulableCause(message, { ownNodesOnly: options.ownNodesOnly, exceedsEveryNode: (r) => podRequest(pod, r) > largestAllocatable(shortOf, r) });
      if (cause === 'capacity') return `Pod ${nameOf(pod)} is waiting for room on the cluster's shared nodes, which other gradings fill (${redact(message)})`;
    }
    const refusals = (await this.eventsAbout(objects)).filter((e) => e.reason === 'FailedCreate' && e.message?.includes(`exceeded quota: ${QUOTA_NAME}`));
    for (const refused of refusals.reverse()) {
      if (!(await this.stillShort(refused))) continue;
      return `kadai's own quota ${QUOTA_NAME} (a guard, not the exercise's) refused a Pod of ${refused.involvedObject?.kind ?? '?'}/${refused.involvedObject?.name ?? '?'}: ${refused.message ?? ''}`;
    }
    return undefined;
  }

  /**
   * Whether the controller a quota refusal was about still lacks Pods now. A rolling update meets
   * the quota for a moment (terminating Pods still count) and then goes on: such a refusal is not
   * why a check failed. A controller that is gone is not short; one that cannot be read is kadai's error.
   */
  private async stillShort(refusal: EventLike): Promise<boolean> {
    const kind = refusal.involvedObject?.kind ?? '';
    const apiVersion = kind === 'ReplicaSet' || kind === 'StatefulSet' ? 'apps/v1' : undefined;
    if (!apiVersion) return true;
    const owner = await this.client
      .read<KubernetesObject & { spec?: { replicas?: number }; status?: { replicas?: number } }>({ apiVersion, kind, metadata: { name: refusal.involvedObject?.name ?? '', namespace: this.namespace } })
      .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(readError('reading a controller', err))));
    return owner !== undefined && (owner.status?.replicas ?? 0) < (owner.spec?.replicas ?? 0);
  }

  private async eventsAbout(objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<EventLike[]> {
    const names = new Set(objects.map((o) => `${o.kind}/${nameOf(o)}`));
    const prefixes = objects.filter((o) => o.kind === 'Deployment').map((o) => `${nameOf(o)}-`);
    let events: EventLike[];
    try {
      events = await this.client.list<EventLike>('v1', 'Event', this.namespace, signal ? { signal } : {});
    } catch (err) {
      throw readError('reading events', err);
    }
    const about = events.filter((e) => {
      const kind = e.involvedObject?.kind ?? '';
      const name = e.involvedObject?.name ?? '';
      return names.has(`${kind}/${name}`) || ((kind === 'ReplicaSet' || kind === 'Pod') && prefixes.some((p) => name.startsWith(p)));
    });
    const when = (e: EventLike) => e.lastTimestamp ?? e.eventTime ?? '';
    return about.sort((a, b) => when(a).localeCompare(when(b)));
  }

  /** The tail of one container's log ('' when there is none yet). */
  async log(pod: string, container?: string, options: { previous?: boolean; tailLines?: number; signal?: AbortSignal } = {}): Promise<string> {
    try {
      const log = await this.client.request<string>('GET', `/api/v1/namespaces/${this.namespace}/pods/${encodeURIComponent(pod)}/log`, {
        query: { container, tailLines: String(options.tailLines ?? LOG_TAIL_LINES), limitBytes: String(LOG_LIMIT_BYTES), previous: options.previous ? 'true' : undefined },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return typeof log === 'string' ? log : JSON.stringify(log);
    } catch (err) {
      // no log yet (container waiting) or the Pod is gone: nothing to show
      if (isNotFound(err) || (err as { code?: number }).code === 400) return '';
      throw readError(`reading the log of ${pod}`, err);
    }
  }

  /** The evidence block of a failed check: the Pods' states, the events and log tails of a few of them. */
  async about(objects: readonly KubernetesObject[], signal?: AbortSignal): Promise<string> {
    const pods = (await this.podsOf(objects, signal)) as PodLike[];
    const parts: string[] = [];
    if (pods.length) parts.push(`--- Pods (${pods.length}) ---\n${pods.map(podLine).join('\n')}`);
    const events = await this.events([...objects, ...pods], signal);
    if (events) parts.push(`--- events ---\n${events}`);
    const read = (pod: PodLike, container: string) => this.log(nameOf(pod), container, signal ? { signal } : {});
    const logs = await Promise.all(pods.slice(0, MAX_LOG_PODS).flatMap((pod) => (pod.spec?.containers ?? []).map(async (c) => ({ pod, container: c.name, log: await read(pod, c.name) }))));
    // a running container's log read just as the kubelet rotated it (past 10 MiB: a log flood) is the
    // new, still empty file: one second look a moment later has its lines (once per block, not per container)
    const runningEmpty = logs.filter(({ pod, container, log }) => {
      const state = pod.status?.containerStatuses?.find((s) => s.name === container)?.state;
      return !log.trim() && state !== undefined && !state.waiting && !state.terminated;
    });
    if (runningEmpty.length) {
      await sleep(1000, undefined, signal ? { signal } : {});
      for (const entry of runningEmpty) entry.log = await read(entry.pod, entry.container);
    }
    for (const { pod, container, log } of logs) {
      if (log.trim()) parts.push(`--- log of ${nameOf(pod)}/${container} (last lines) ---\n${lastLines(log, LOG_TAIL_LINES)}`);
    }
    return redact(parts.join('\n'));
  }
}

/**
 * What the cluster says about itself in events and logs is not the student's to see: addresses
 * (DNS servers, node and Pod IPs) and the node a Pod was scheduled to are blanked.
 */
export function redact(evidence: string): string {
  return evidence.replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '<address>').replace(/(Successfully assigned \S+ to )\S+/g, '$1<node>');
}

function podLine(pod: PodLike): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const states = statuses.map((s) => `${s.name}: ${s.state?.waiting?.reason ?? (s.state?.terminated ? `terminated (${s.state.terminated.reason ?? s.state.terminated.exitCode})` : 'running')}, restarts ${s.restartCount ?? 0}`);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return `${describeObject(pod)} ${pod.status?.phase ?? '?'}${ready ? ' Ready' : ''}${states.length ? ` [${states.join('; ')}]` : ''}`;
}

/**
 * Reasons the scheduler gives that may pass by themselves, so a Pod Pending for them is not stuck:
 * a claim whose volume the provisioner is still making (a StatefulSet's next Pod), and a node full
 * of requests (other attempts' load, or the attempt's own Pods still terminating). Whose it was, if
 * the check's time runs out, is decided then (`Evidence.kadaiShortage`, starvation.ts).
 */
export const passingUnschedulable = (message: string): boolean => /unbound immediate PersistentVolumeClaims|Insufficient (cpu|memory|ephemeral-storage)/.test(message);
