/**
 * Labels and names that mark kadai's objects on a cluster. The worker's admission fence
 * (infra/cluster/manifests/kadai-worker.yaml) keys on MANAGED_BY; the reaper on RUN_LABEL.
 */
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'kadai' } as const;
export const SUBMISSION_LABEL = 'kadai.submission';
export const RUN_LABEL = 'kadai.run';
/** On kadai's own objects inside an attempt namespace (quota, policies, RBAC), never on the student's. */
export const GUARD_LABEL = 'kadai.guard';
/** With MANAGED_BY, on kadai's probe Pods in an attempt namespace (the attempt's NetworkPolicy admits them by these). */
export const PROBE_LABEL = 'kadai.dev/probe';
/** When the attempt namespace may be reaped, unless the worker renews it (ISO 8601). */
export const LEASE_ANNOTATION = 'kadai.lease-until';
/** Attempt namespaces are named kadai-a-<random>; the fence lets the worker delete volumes left by these only. */
export const NAMESPACE_PREFIX = 'kadai-a-';
/** The identity the student's objects are applied as, and its Role. */
export const ATTEMPT_ACCOUNT = 'kadai-attempt';

const labelValue = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/** A submission or run id must be a valid label value; anything else is kadai's bug, not the student's. */
export function checkLabelValue(what: string, value: string): string {
  if (!labelValue.test(value)) throw new Error(`${what} ${JSON.stringify(value)} is not a valid Kubernetes label value`);
  return value;
}
