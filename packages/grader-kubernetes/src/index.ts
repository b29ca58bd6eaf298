/**
 * The kubernetes grader: a locked-down namespace per attempt, the submission's stages vetted and
 * dry-run, and the lab's steps (`apply`, `assert`, `wait`, …) run in order. See README.md.
 */
export { createKubernetesGrader, DEFAULT_PROBE_IMAGE, type KubernetesGraderOptions } from './grader';
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
export { checkIsolation, probeIsolation, IsolationGate, type IsolationPair, type IsolationStatus } from './isolation';
export { ProbePod, probePodManifest, PROBE_POD, PROBE_CONTAINER, type ProbeSettings, type ProbeRunResult } from './probe/pod';
export { probeCommand, parseProbeLine, succeeded, type ProbeLine, type ProbeSummary, type ProbeRequest, type ProbeRunRequest } from './probe/output';
export { httpTarget, resolveTarget, describeTarget, type HttpTarget } from './probe/target';
export { makeUniquePerAttempt, uniquePerAttempt, attemptIngressHost, REWRITE_ANNOTATION, DEFAULT_INGRESS_DOMAIN, DEFAULT_NODE_PORT_RANGE, type AttemptNames, type Rewrite } from './rewrite';
export { probeNodeRuntime, killContainer, type NodeRuntime } from './runtime';
export { execIn, type ExecResult } from './exec';
export { NodeVolumeDirs, VOLUME_ROOT } from './volumes';
