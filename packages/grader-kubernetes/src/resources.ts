import type { KubernetesObject } from '@kubernetes/client-node';
import { InfrastructureError } from '@kadai/errors';
import { isNotFound, messageOf, statusOf, type ObjectClient } from '@kadai/k8s-sandbox';
import { z } from 'zod';

/** The apiVersion a kind means when a check names none (the course's kinds and what checks look at). */
export const DEFAULT_API_VERSIONS: Readonly<Record<string, string>> = {
  Pod: 'v1', Service: 'v1', ConfigMap: 'v1', Secret: 'v1', PersistentVolumeClaim: 'v1', Event: 'v1',
  Endpoints: 'v1', ServiceAccount: 'v1', ResourceQuota: 'v1', LimitRange: 'v1', ReplicationController: 'v1',
  Deployment: 'apps/v1', ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1',
  Job: 'batch/v1', CronJob: 'batch/v1', HorizontalPodAutoscaler: 'autoscaling/v2',
  Ingress: 'networking.k8s.io/v1', NetworkPolicy: 'networking.k8s.io/v1', PodDisruptionBudget: 'policy/v1',
  EndpointSlice: 'discovery.k8s.io/v1', PersistentVolume: 'v1',
};

const labelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/, 'a label key such as app or app.kubernetes.io/name');

/** `resource:` of a check: objects of one kind in the attempt's namespace, by name or labels (neither: every object of the kind). */
export const resourceRef = z
  .strictObject({
    kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'a kind such as Deployment'),
    apiVersion: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    selector: z.record(labelKey, z.string()).optional(),
    /** PersistentVolumes only: those bound to this claim of the attempt (they are cluster-scoped and named by the cluster). */
    claim: z.string().min(1).optional(),
    /** One of the lab's `kubernetes.namespaces` (`team1`): the attempt's namespace standing for it. Default: the attempt's own. */
    namespace: z.string().min(1).optional(),
  })
  .superRefine((ref, ctx) => {
    if (ref.claim !== undefined && (ref.kind !== 'PersistentVolume' || ref.name || ref.selector)) ctx.addIssue({ code: 'custom', path: ['claim'], message: 'claim selects PersistentVolumes by their claim, without name or selector' });
    if (ref.name && ref.selector) ctx.addIssue({ code: 'custom', path: ['selector'], message: 'name an object or select by labels, not both' });
    if (ref.apiVersion === undefined && !(ref.kind in DEFAULT_API_VERSIONS)) ctx.addIssue({ code: 'custom', path: ['apiVersion'], message: `say the apiVersion of ${ref.kind} (kadai knows no default for it)` });
  });
export type ResourceRef = z.infer<typeof resourceRef>;

export const apiVersionOf = (ref: ResourceRef): string => ref.apiVersion ?? DEFAULT_API_VERSIONS[ref.kind] ?? 'v1';

export const labelSelector = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** "Deployment/web", "Pods with app=web", "every Service", for messages. */
export function describeRef(ref: ResourceRef): string {
  if (ref.namespace !== undefined && ref.namespace !== 'default') return `${describeRef({ ...ref, namespace: undefined })} in ${ref.namespace}`;
  if (ref.name) return `${ref.kind}/${ref.name}`;
  if (ref.claim) return `${ref.kind} (bound to claim ${ref.claim})`;
  if (ref.selector) return `${ref.kind} (${labelSelector(ref.selector)})`;
  return `${ref.kind} (all)`;
}

export const nameOf = (o: KubernetesObject): string => o.metadata?.name ?? '?';
export const describeObject = (o: KubernetesObject): string => `${o.kind ?? '?'}/${nameOf(o)}`;

/** Reading the attempt's objects (as the worker): only its namespace, never another. */
export class ResourceLookup {
  constructor(
    private readonly client: ObjectClient,
    readonly namespace: string,
    /** The course's other namespaces (`team1`) → the attempt's namespace standing for each. */
    private readonly courseNamespaces: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** The attempt's namespace a reference reads from. */
  namespaceOf(ref: Pick<ResourceRef, 'namespace'>): string {
    if (ref.namespace === undefined || ref.namespace === 'default') return this.namespace;
    const mapped = this.courseNamespaces.get(ref.namespace);
    if (mapped === undefined) throw new InfrastructureError(`the lab's check names namespace "${ref.namespace}", which is not one of its kubernetes.namespaces`, false);
    return mapped;
  }

  /** The objects a reference selects, as the API server stores them (none when the name does not exist). */
  async find(ref: ResourceRef, signal?: AbortSignal): Promise<KubernetesObject[]> {
    const apiVersion = apiVersionOf(ref);
    const namespace = this.namespaceOf(ref);
    try {
      if (ref.claim) return await this.volumesOf(ref.claim, signal);
      if (ref.name) return [await this.client.read({ apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace } }, signal)];
      return await this.client.list(apiVersion, ref.kind, namespace, { ...(ref.selector ? { labelSelector: labelSelector(ref.selector) } : {}), ...(signal ? { signal } : {}) });
    } catch (err) {
      if (isNotFound(err)) return [];
      throw readError(`reading ${describeRef(ref)}`, err);
    }
  }

  /** The PersistentVolumes bound to one of the attempt's claims (never another namespace's). */
  private async volumesOf(claim: string, signal?: AbortSignal): Promise<KubernetesObject[]> {
    const volumes = await this.client.list<KubernetesObject & { spec?: { claimRef?: { namespace?: string; name?: string } } }>('v1', 'PersistentVolume', this.namespace, signal ? { signal } : {});
    return volumes.filter((pv) => pv.spec?.claimRef?.namespace === this.namespace && pv.spec.claimRef.name === claim);
  }

  /** Pods with these labels. */
  async pods(labels: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<KubernetesObject[]> {
    return this.find({ kind: 'Pod', selector: { ...labels } }, signal);
  }
}

/**
 * A failed read of the attempt's objects is kadai's problem (the worker may read everything in
 * the namespace), except a kind this cluster does not serve, which the lab named wrongly.
 */
export function readError(what: string, err: unknown): InfrastructureError {
  const status = statusOf(err);
  const retryable = status === undefined || status === 429 || status >= 500;
  return new InfrastructureError(`${what}: ${messageOf(err)}`, retryable, { cause: err });
}
