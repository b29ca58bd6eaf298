import type { KubernetesObject, V1Node, V1Taint } from '@kubernetes/client-node';
import type { AttemptNodeSpec } from '@kadai/catalog';
import { InfrastructureError, StudentWorkError } from '@kadai/errors';
import { isNotFound, MANAGED_BY, messageOf, NAMESPACE_PREFIX, type ObjectClient } from '@kadai/k8s-sandbox';
import type { KubectlCommand, VettedObject } from '@kadai/k8s-vetting';
import { ATTEMPT_NODE_LABEL, ATTEMPT_TAINT_KEY, COURSE_NAME_LABEL, KWOK_ANNOTATION, KWOK_TYPE_LABEL, NODE_PREFIX } from './labels';
import { podSpecOf, records } from './pod-specs';

/** A node command of a student's commands file: `kubectl label node …` or `kubectl taint nodes …`. */
export type NodeCommand = Extract<KubectlCommand, { verb: 'taint' }> | (Extract<KubectlCommand, { verb: 'label' | 'annotate' }> & { verb: 'label' });

export const isNodeCommand = (command: KubectlCommand): command is NodeCommand => (command.verb === 'label' || command.verb === 'taint') && command.target.kind === 'Node';

/** What each fake node offers: room for a lab's Pods with the attempt's default requests (kwok's own default has no ephemeral-storage). */
const NODE_CAPACITY = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };

const nodeRef = (name: string): KubernetesObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

/**
 * One attempt's own fake nodes (kwok runs them): named `kadai-n-<attempt>-<course name>`, labelled
 * with the course's labels, its hostname label the course's name, and a taint unique to the attempt.
 * Every Pod the attempt submits is pinned to them (`pin`): a toleration of that taint and a required
 * node affinity to the attempt's label — so the attempt's Pods go nowhere else and nobody else's come
 * here. The student's `kubectl label/taint node` commands are applied here, by the course's names.
 */
export class AttemptNodes {
  private constructor(
    private readonly client: ObjectClient,
    readonly namespace: string,
    /** Course name → the node's real name. */
    readonly names: ReadonlyMap<string, string>,
    /** The attempt's Pods may also run on the cluster's real (non-kwok) nodes (lab.yaml `kubernetes.realNodes`). */
    readonly realNodes: boolean,
  ) {}

  static nodeName(namespace: string, courseName: string): string {
    return `${NODE_PREFIX}${namespace.slice(NAMESPACE_PREFIX.length)}-${courseName}`;
  }

  /** Creates the nodes (as the worker) and waits until kwok reports each Ready. */
  static async create(client: ObjectClient, namespace: string, specs: readonly AttemptNodeSpec[], options: { readyTimeoutMs?: number; signal?: AbortSignal; realNodes?: boolean } = {}): Promise<AttemptNodes> {
    const nodes = new AttemptNodes(client, namespace, new Map(specs.map((s) => [s.name, AttemptNodes.nodeName(namespace, s.name)])), options.realNodes ?? false);
    try {
      for (const spec of specs) await client.request('POST', '/api/v1/nodes', { body: nodes.manifest(spec), ...(options.signal ? { signal: options.signal } : {}) });
      await nodes.untilReady(options.readyTimeoutMs ?? 30_000, options.signal);
    } catch (err) {
      await nodes.destroy().catch(() => undefined);
      throw new InfrastructureError(`cannot create the attempt's nodes: ${messageOf(err)}`, true, { cause: err });
    }
    return nodes;
  }

  private manifest(spec: AttemptNodeSpec): V1Node {
    const name = this.names.get(spec.name) as string;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { [KWOK_ANNOTATION.key]: KWOK_ANNOTATION.value, 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          ...spec.labels,
          'kubernetes.io/hostname': spec.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          // metrics-server and the cluster's own readiness wait skip type=kwok nodes
          [KWOK_TYPE_LABEL.key]: KWOK_TYPE_LABEL.value,
          [MANAGED_BY.key]: MANAGED_BY.value,
          [ATTEMPT_NODE_LABEL]: this.namespace,
          [COURSE_NAME_LABEL]: spec.name,
        },
      },
      spec: { taints: [{ key: ATTEMPT_TAINT_KEY, value: this.namespace, effect: 'NoSchedule' }, ...spec.taints] },
      // kwok keeps what the node declares; ephemeral-storage too, which the attempt's LimitRange requests by default
      status: { capacity: NODE_CAPACITY, allocatable: NODE_CAPACITY },
    };
  }

  private async untilReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nodes = await this.list(signal);
      const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (ready.length === this.names.size) return;
      if (Date.now() > deadline) throw new Error(`kwok did not make the attempt's nodes Ready within ${timeoutMs / 1000} s (${ready.length}/${this.names.size})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The attempt's nodes as the API server has them now. */
  list(signal?: AbortSignal): Promise<V1Node[]> {
    return this.client.list<V1Node>('v1', 'Node', '', { labelSelector: `${ATTEMPT_NODE_LABEL}=${this.namespace}`, ...(signal ? { signal } : {}) });
  }

  /** The course's name of a node of this attempt (undefined for any other node). */
  courseName(nodeName: string | undefined): string | undefined {
    for (const [course, real] of this.names) if (real === nodeName) return course;
    return undefined;
  }

  /**
   * The attempt's own taint and a required affinity to its nodes (or, with realNodes, to its nodes
   * or the cluster's real ones), added to a copy of every Pod (template) of the objects.
   */
  pin(objects: readonly VettedObject[]): VettedObject[] {
    return objects.map((vetted) => {
      const object = structuredClone(vetted.object);
      const found = podSpecOf(object);
      if (!found) return vetted;
      const { spec } = found;
      spec.tolerations = [...records(spec.tolerations), { key: ATTEMPT_TAINT_KEY, operator: 'Equal', value: this.namespace, effect: 'NoSchedule' }];
      const own = [{ key: ATTEMPT_NODE_LABEL, operator: 'In', values: [this.namespace] }];
      // a real node has no type=kwok label; every fake node (this attempt's, another's, the shared ones) has
      const allowed = this.realNodes ? [own, [{ key: KWOK_TYPE_LABEL.key, operator: 'NotIn', values: [KWOK_TYPE_LABEL.value] }]] : [own];
      const affinity = (spec.affinity ?? {}) as Record<string, Record<string, unknown>>;
      const nodeAffinity = (affinity.nodeAffinity ?? {}) as Record<string, unknown>;
      const required = (nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? {}) as { nodeSelectorTerms?: unknown };
      const terms = records(required.nodeSelectorTerms);
      // terms are ORed: each allowed node set is ANDed into each of them
      required.nodeSelectorTerms = terms.length
        ? terms.flatMap((term) => allowed.map((only) => ({ ...term, matchExpressions: [...records(term.matchExpressions), ...only] })))
        : allowed.map((only) => ({ matchExpressions: only }));
      spec.affinity = { ...affinity, nodeAffinity: { ...nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required } };
      return { ...vetted, object };
    });
  }

  /** Runs a student's `kubectl label node` / `kubectl taint nodes` on the attempt's own node of that (course) name. */
  async run(command: NodeCommand, signal?: AbortSignal): Promise<string> {
    const name = this.names.get(command.target.name);
    // vetting accepts only the lab's own names; anything else here is kadai's bug
    if (!name) throw new InfrastructureError(`node ${command.target.name} is not one of the attempt's nodes`, false);
    const node = await this.client.read<V1Node>(nodeRef(name), signal);
    const prefix = `line ${command.line} (kubectl ${command.verb})`;
    if (command.verb === 'label') {
      const current = node.metadata?.labels ?? {};
      const clash = Object.keys(command.set).find((key) => key in current && current[key] !== command.set[key]);
      if (clash && !command.overwrite) throw new StudentWorkError(`${prefix}: '${clash}' already has a value (${current[clash]}), and --overwrite is false`);
      const own = [...Object.keys(command.set), ...command.remove].find((key) => key.startsWith('kadai.dev/') || key === 'kubernetes.io/hostname' || key === 'type' || key === MANAGED_BY.key);
      if (own) throw new StudentWorkError(`${prefix}: the label ${own} is kadai's own on this node; it cannot be changed`);
      const changes: Record<string, string | null> = { ...command.set };
      for (const key of command.remove) changes[key] = null;
      await this.client.mergePatch(nodeRef(name), { metadata: { labels: changes } }, signal);
      // as kubectl: removing a label the node does not have is only a notice
      const missing = command.remove.filter((key) => !(key in current)).map((key) => `label "${key}" not found.\n`).join('');
      return `${missing}node/${command.target.name} ${Object.keys(command.set).length ? 'labeled' : 'unlabeled'}`;
    }
    const taints: V1Taint[] = [...(node.spec?.taints ?? [])];
    for (const removal of command.remove) {
      const keep = taints.filter((t) => !(t.key === removal.key && (removal.effect === undefined || t.effect === removal.effect)));
      if (keep.length === taints.length) throw new StudentWorkError(`${prefix}: taint "${removal.key}${removal.effect ? `:${removal.effect}` : ''}" not found on node ${command.target.name}`);
      taints.splice(0, taints.length, ...keep);
    }
    for (const taint of command.add) {
      if (taint.key.startsWith('kadai.dev/')) throw new StudentWorkError(`${prefix}: the taint ${taint.key} is kadai's own; it cannot be changed`);
      const at = taints.findIndex((t) => t.key === taint.key && t.effect === taint.effect);
      if (at >= 0 && !command.overwrite) throw new StudentWorkError(`${prefix}: node ${command.target.name} already has a taint with key (${taint.key}) and effect (${taint.effect}), and --overwrite is false`);
      const added: V1Taint = { key: taint.key, effect: taint.effect, ...(taint.value !== undefined ? { value: taint.value } : {}), ...(taint.effect === 'NoExecute' ? { timeAdded: new Date() } : {}) };
      if (at >= 0) taints[at] = added;
      else taints.push(added);
    }
    await this.client.mergePatch(nodeRef(name), { spec: { taints } }, signal);
    return `node/${command.target.name} ${command.add.length ? 'tainted' : 'untainted'}`;
  }

  /** Removes the attempt's nodes (a node already gone is fine); the reaper removes what a killed worker left. */
  async destroy(): Promise<void> {
    const failures: string[] = [];
    for (const name of this.names.values()) {
      await this.client.delete(nodeRef(name)).catch((err: unknown) => {
        if (!isNotFound(err)) failures.push(`${name}: ${messageOf(err)}`);
      });
    }
    if (failures.length) throw new InfrastructureError(`could not remove the attempt's nodes: ${failures.join('; ')}`, true);
  }
}
