import type { Lab, LabKind } from '@kadai/catalog';
import type { Logger } from '@kadai/observability';
import type { CheckResult } from './result';

/** What a student handed in: files (Dockerfiles, manifests, answers.json), already unpacked and checked. */
export interface SubmissionInput {
  submissionId: string;
  files: Map<string, Buffer>;
}

export interface GradingContext {
  /**
   * Aborted when the worker shuts down, its lease is lost or the runner's deadline
   * (`attemptTimes(…).deadlineMs`) passes: all kadai's failures. The grader keeps the attempt's own work within `attemptTimes(…).workMs`.
   */
  signal: AbortSignal;
  /** Carries the submission id on every line. */
  log: Logger;
  /**
   * The fencing token of this grading's lease, raised by every claim of the submission. Name and
   * label what the grading creates after the submission id and this token: a second worker grading
   * the same submission after a lost lease holds another token, so neither touches the other's
   * resources, and the reaper can tell a finished or taken-over run's leftovers from a live one's.
   */
  token: number;
}

/** A grading run as its resources are labelled: the submission and its lease's fencing token. */
export interface GradingRun {
  submissionId: string;
  token: number;
}

/** What a grader's start-up and housekeeping hooks get from the worker. */
export interface HousekeepingContext {
  log: Logger;
  /** Of these runs, those whose lease is over (finished, requeued or taken over): their resources may go. */
  releasedRuns(runs: GradingRun[]): Promise<GradingRun[]>;
  /** Counts what housekeeping removed of runs that did not clean up after themselves (a metric operators alert on). */
  reaped(resource: string, count: number): void;
}

/**
 * One implementation per lab kind. `grade` returns one result per check of the lab; it throws only
 * classified errors from @kadai/errors (RejectedInputError, InfrastructureError).
 */
export interface Grader {
  readonly kind: LabKind;
  /**
   * Checks a submission before it is accepted (in the api), so input that cannot be graded is
   * rejected at once, naming file, line and field, and uses no attempt. Throws RejectedInputError.
   */
  validate(lab: Lab, files: Map<string, Buffer>): void | Promise<void>;
  grade(lab: Lab, input: SubmissionInput, ctx: GradingContext): Promise<CheckResult[]>;
  /**
   * Submitted files that hold credentials (a live cluster's token): the runner erases them once the
   * grading run has ended (graded, rejected or error), so they are never kept past it.
   */
  secretFiles?(lab: Lab): readonly string[];
  /**
   * Once when the worker starts, before it takes jobs (e.g. remove what a crashed worker left on
   * the engine). A failure is logged, not fatal: grading reports its own infrastructure errors.
   */
  start?(ctx: HousekeepingContext): Promise<void>;
  /**
   * Whether this grader can grade now, for the worker's /readyz: resolves when its engine or cluster
   * answers, throws the reason when not. Graders needing nothing outside the process have none.
   */
  ready?(): Promise<void>;
  /**
   * The labs of this kind it cannot grade where it points, each with the reason (e.g. a capability
   * the cluster lacks). The worker publishes them: the api lists those labs as unavailable and takes
   * no submission for them, instead of accepting work that would end in `error`.
   */
  unavailable?(labs: readonly Lab[]): Promise<Record<string, string>>;
  /** Upkeep while the worker runs (e.g. the Docker reaper), every `intervalMs`. */
  housekeeping?: { intervalMs: number; run(ctx: HousekeepingContext): Promise<void> };
}
