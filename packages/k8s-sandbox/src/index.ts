/**
 * The Kubernetes grader's sandbox: one locked-down namespace per attempt (quota, LimitRange,
 * NetworkPolicy, Pod Security, an attempt ServiceAccount the submission is applied as), its
 * cleanup, the reaper for what dead workers left, and the cluster capability probes.
 */
export { kubeConfigFor, impersonating, type ClusterTarget } from './target';
export { ObjectClient, type RawRequest, type ObjectList } from './client';
export { SUBMISSION_FIELD_MANAGER, type ApplyOptions } from './apply';
export { messageOf, statusOf, isNotFound } from './errors';
export { Sandboxes, AttemptNamespace, type AttemptRequest, type SandboxSettings } from './namespace';
export { defaultLimits, defaultClusterNetwork, probeLabels, QUOTA_NAME, type SandboxLimits, type ClusterNetwork } from './guards';
export { Cleaner } from './cleaner';
export { reapAttempts, type ReapResult } from './reaper';
export { probeCapabilities, capabilities, type Capability, type CapabilityStatus } from './capabilities';
export { MANAGED_BY, SUBMISSION_LABEL, RUN_LABEL, GUARD_LABEL, PROBE_LABEL, NAMESPACE_PREFIX, ATTEMPT_ACCOUNT } from './labels';
