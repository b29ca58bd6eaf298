/**
 * The kubernetes grader: a locked-down namespace per attempt, the submission's stages vetted and
 * dry-run, and the lab's steps (`apply`, `assert`, `wait`, …) run in order. See README.md.
 */
export { createKubernetesGrader, type KubernetesGraderOptions } from './grader';
export { kubernetesLabIssues, kubernetesDefinition } from './lab';
export { STEP_TYPES } from './steps';
export { kubeCheckFields, stepTimeoutMs, POLL_TIMEOUT_SECONDS, APPLY_TIMEOUT_SECONDS, EVIDENCE_SLACK_MS, type KubeCheckContext } from './context';
export { resourceRef, describeRef, describeObject, apiVersionOf, labelSelector, DEFAULT_API_VERSIONS, ResourceLookup, type ResourceRef } from './resources';
export { Evidence, podSelectorOf, type TerminalState } from './evidence';
export { watchResource, expectsCrashLoop, type Observation, type WatchOptions } from './watch';
export { failure, failedPoll } from './steps/report';
export { KubectlActions } from './kubectl';
export { readStages, type Stage } from './stages';
export { dryRunStages, toFieldPath, type AdmissionRefusal } from './dry-run';
export { probeLabCapabilities, type LabCapability } from './capabilities';
