import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Lab, KubernetesLabDefinition } from '@kadai/catalog';
import { commonCheckFields, type CheckStep } from '@kadai/checks';
import type { AttemptNamespace, ObjectClient } from '@kadai/k8s-sandbox';
import type { AttemptNodes } from '@kadai/k8s-nodes';
import { z } from 'zod';
import type { Documents } from './documents';
import type { LiveClusterSettings } from './live-cluster';
import type { AdmissionRefusal } from './dry-run';
import type { Evidence } from './evidence';
import type { ProbePod } from './probe/pod';
import type { ResourceLookup } from './resources';
import type { NodeRuntime } from './runtime';
import type { Stage } from './stages';

/**
 * What every step of a kubernetes lab sees: the cluster as the worker (for reading and for kadai's
 * own actions), the attempt's namespace (whose `asAttempt` client and `apply` act as the attempt's
 * ServiceAccount, as a student would), the vetted stages, the dry run's admission refusals, and
 * lookup and evidence helpers — plus, from the run loop, the check's budget, signal and log.
 */
export interface KubeCheckContext extends CheckStep {
  /** The worker's kubeconfig (its fenced identity); for client-node APIs such as Exec. */
  kc: KubeConfig;
  /** The worker's raw JSON client (objects exactly as the API server stores them). */
  client: ObjectClient;
  /** The attempt's namespace name (`kadai-a-<hex>`). */
  namespace: string;
  attempt: AttemptNamespace;
  lab: Lab;
  definition: KubernetesLabDefinition;
  /** The submission's files, as handed in. */
  files: ReadonlyMap<string, Buffer>;
  /** The vetted stages by id. */
  stages: ReadonlyMap<string, Stage>;
  /** The lab's data files (`kubernetes.documents`), parsed, never applied. */
  documents: Documents;
  /** What admission refused in the dry run, per stage (see AdmissionRefusal). */
  refusals: readonly AdmissionRefusal[];
  /** Objects applied so far, by stage or fixture id, as the API server returned them. */
  applied: Map<string, KubernetesObject[]>;
  /** Finds the objects a `resource:` selects in the attempt's namespace. */
  resources: ResourceLookup;
  /** Pods behind objects, terminal states, capped events and logs for failed checks. */
  evidence: Evidence;
  /** A scheduling lab's own nodes for this attempt (lab.yaml `kubernetes.nodes`). */
  nodes?: AttemptNodes;
  /** kadai's probe Pod in the attempt's namespace (made on first use): every request a step sends goes from inside the cluster. */
  probe: ProbePod;
  /** The node's container runtime, when this worker has one (capability `killContainer`). */
  runtime?: NodeRuntime;
  /** What the operator lets a student's live cluster be (`liveCluster`); none: public addresses only. */
  liveCluster?: LiveClusterSettings;
}

/** Fields every kubernetes step has: the common ones and its own budget. */
export const kubeCheckFields = {
  ...commonCheckFields,
  timeoutSeconds: z.number().positive().max(600).optional(),
};

/** Polling steps wait up to 60 s by default, `apply` 30 s (README, "Default timeouts"). */
export const POLL_TIMEOUT_SECONDS = 60;
export const APPLY_TIMEOUT_SECONDS = 30;
/** Beyond a step's own wait, the time it may take to gather evidence before the run loop stops it. */
export const EVIDENCE_SLACK_MS = 10_000;

/** The run loop's limit for a step: its own timeout plus time to report. */
export const stepTimeoutMs = (seconds: number | undefined, fallback: number): number => (seconds ?? fallback) * 1000 + EVIDENCE_SLACK_MS;
