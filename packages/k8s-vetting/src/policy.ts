import { KUBECTL_VERBS, KUBERNETES_LAB_KINDS, type KubernetesVetting } from '@kadai/catalog';
import type { KubectlAllowList } from './kubectl';
import type { VolumeAllowance } from './volumes';

/**
 * What a Kubernetes lab lets a submission contain. The grader builds it from the lab's definition;
 * `permissivePolicy` is what the course's own chapters 2–5 need.
 */
export interface LabPolicy {
  /** Kinds a student may submit, by `kind` (e.g. `Deployment`). Refused kinds (RBAC, …) stay refused. */
  allowedKinds: readonly string[];
  /**
   * Images, as references: `nginx` (any tag of docker.io/library/nginx), `nginx:1.*`,
   * `kicbase/echo-server:1.0`, `docker.io/busybox:latest`. `*` matches any run of characters.
   */
  allowedImages: readonly string[];
  quota: AttemptQuota;
  limits: ManifestLimits;
  /** The lab lets a submission declare PersistentVolumes (kadai creates per-attempt copies); without it they are refused as cluster-scoped. */
  persistentVolumes?: VolumeAllowance;
}

/** What the attempt's namespace may hold; vetting refuses more rather than letting admission half-apply. */
export interface AttemptQuota {
  /** Replicas of one workload (Deployment, ReplicaSet, StatefulSet, ReplicationController, an HPA's maximum, a Job's parallelism). */
  maxReplicas: number;
  /** CPU requested by all Pods together (Kubernetes quantity, e.g. `2` or `1500m`). */
  cpu: string;
  /** Memory requested by all Pods together (e.g. `2Gi`). */
  memory: string;
  /** Storage requested by all claims together (e.g. `5Gi`). */
  storage: string;
}

/** Ceilings checked before or while parsing, so that an oversized submission costs nothing. */
export interface ManifestLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  /** YAML documents in one file. */
  maxDocuments: number;
  /** Objects in all files, `List` items counted one by one. */
  maxObjects: number;
  /** Aliases one document may expand (an alias bomb needs thousands). */
  maxAliases: number;
}

const KiB = 1024;

export const DEFAULT_MANIFEST_LIMITS: Readonly<ManifestLimits> = Object.freeze({
  maxFileBytes: 64 * KiB,
  maxTotalBytes: 256 * KiB,
  maxDocuments: 100,
  maxObjects: 100,
  maxAliases: 100,
});

/** The course's workload kinds (what the attempt's Role in k8s-sandbox lets it create). */
export const WORKLOAD_KINDS: readonly string[] = KUBERNETES_LAB_KINDS;

/** Every workload kind, the images chapters 2–5 use, and a quota that fits their largest exercise. */
export const permissivePolicy: Readonly<LabPolicy> = Object.freeze({
  allowedKinds: WORKLOAD_KINDS,
  allowedImages: ['kicbase/echo-server:1.0', 'busybox', 'httpd', 'nginx'],
  quota: { maxReplicas: 10, cpu: '4', memory: '4Gi', storage: '5Gi' },
  limits: DEFAULT_MANIFEST_LIMITS,
});

/** The policy a lab's `vetting` section (lab.yaml) describes; a lab without one gets `permissivePolicy`. */
export function labPolicy(vetting: KubernetesVetting | undefined, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): LabPolicy {
  if (!vetting) return { ...permissivePolicy, limits };
  return { allowedKinds: vetting.kinds, allowedImages: vetting.images, quota: vetting.quota, limits, ...(vetting.persistentVolumes ? { persistentVolumes: vetting.persistentVolumes } : {}) };
}

/** The kubectl allow-list of a lab's `vetting` section: its commands, kinds, images and replica ceiling. */
export function kubectlAllowList(vetting: KubernetesVetting | undefined, nodes: readonly string[] = []): KubectlAllowList {
  const policy = labPolicy(vetting);
  return { verbs: vetting?.commands ?? KUBECTL_VERBS, kinds: policy.allowedKinds, images: policy.allowedImages, maxReplicas: policy.quota.maxReplicas, ...(nodes.length ? { nodes } : {}) };
}
