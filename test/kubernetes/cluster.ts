/**
 * What the Kubernetes end-to-end tests (and bench/k8s-labs) need around a real stack: a labs folder
 * made of chosen labs, the worker pointed at kadai's fenced identity (never cluster-admin), and
 * what a submission left on the cluster, found by its labels.
 */
import { kubeConfigFor, MANAGED_BY, SUBMISSION_LABEL } from '@kadai/k8s-sandbox';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

const STATE = process.env.KADAI_CLUSTER_STATE ?? '/var/lib/kadai/cluster';
/** kadai's grading identity on the local cluster (infra/cluster/manifests/kadai-worker.yaml). */
export const WORKER_KUBECONFIG = process.env.KADAI_TEST_WORKER_KUBECONFIG ?? `${STATE}/kadai-worker.kubeconfig`;

export const workerKube = (): KubeConfig => kubeConfigFor({ kind: 'kubeconfig', path: WORKER_KUBECONFIG });
/** The cluster's admin, for the tests' own observations only (the node's state and kubelet config), never for grading. */
export const adminKube = (): KubeConfig => kubeConfigFor({ kind: 'kubeconfig', path: process.env.KADAI_TEST_ADMIN_KUBECONFIG ?? `${STATE}/kubeconfig` });

/** The Pods of a submission's attempt namespaces right now (what the worker's identity may read there). */
export async function podsOf(kc: KubeConfig, submissionId: string): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = await core.listNamespace({ labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value},${SUBMISSION_LABEL}=${submissionId}` });
  const pods = await Promise.all(namespaces.items.map((n) => core.listNamespacedPod({ namespace: n.metadata?.name ?? '' }).then((l) => l.items, () => [])));
  return pods.flat();
}

export { labsFolder } from '../support/labs-folder';

/**
 * What the cluster still holds of a submission: its attempt namespaces (any phase, Terminating
 * included) and cluster-scoped copies (PersistentVolumes) labelled with its id.
 */
export async function clusterLeftovers(kc: KubeConfig, submissionId: string): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const labelSelector = `${MANAGED_BY.key}=${MANAGED_BY.value},${SUBMISSION_LABEL}=${submissionId}`;
  const [namespaces, volumes] = await Promise.all([core.listNamespace({ labelSelector }), core.listPersistentVolume({ labelSelector: `${SUBMISSION_LABEL}=${submissionId}` })]);
  return [...namespaces.items.map((n) => `namespace ${n.metadata?.name} (${n.status?.phase})`), ...volumes.items.map((v) => `pv ${v.metadata?.name}`)];
}

/** Waits until nothing of the submission is left (namespace deletion finishes after the result is stored); returns what is still there at the deadline. */
export async function leftoversAfter(kc: KubeConfig, submissionId: string, timeoutMs = 90_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await clusterLeftovers(kc, submissionId);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
