import type { CheckValidators, LabKind } from '@kadai/catalog';
import type { Grader, HousekeepingContext } from '@kadai/grading';
import { createDockerGrader, dockerLabIssues, type DockerGrader, type DockerGraderOptions } from '@kadai/grader-docker';
import { createKubernetesGrader, kubernetesLabIssues, type KubernetesGraderOptions } from '@kadai/grader-kubernetes';
import { quizGrader } from '@kadai/grader-quiz';

export type Graders = Partial<Record<LabKind, Grader>>;

export interface GraderOptions {
  /** Engine socket, limits and port range of the docker grader (the worker reads them from its config). */
  docker?: Partial<DockerGraderOptions>;
  /** The cluster of the kubernetes grader (the worker's); without it, kubernetes submissions are validated only (the api). */
  kubernetes?: KubernetesGraderOptions;
}

/**
 * The one place that maps a lab kind to its grader; adding a lab kind means adding it here.
 * Kinds without a grader yet are refused at submission time.
 */
export function createGraders(options: GraderOptions = {}): Graders & { docker: DockerGrader } {
  return { quiz: quizGrader, docker: createDockerGrader(options.docker), kubernetes: createKubernetesGrader(options.kubernetes) };
}

/** What each kind's grader checks in lab.yaml beyond the common schema (its check types and fields). */
export const checkValidators: CheckValidators = { docker: dockerLabIssues, kubernetes: kubernetesLabIssues };

/** The worker's side of housekeeping: what graders remove is counted per lab kind. */
export interface WorkerHousekeeping extends Omit<HousekeepingContext, 'reaped'> {
  reaped(kind: LabKind, resource: string, count: number): void;
}

/** How long one housekeeping pass may take before the next is scheduled anyway (a call hung on a wedged engine or cluster). */
const passLimitMs = (intervalMs: number) => Math.max(10 * intervalMs, 5 * 60_000);

/** The pass, or a failure once it has run `limitMs` (it is left to end on its own). */
function bounded(pass: Promise<void>, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the pass did not end within ${limitMs / 1000} s; the next one starts anyway`)), limitMs);
    timer.unref();
  });
  return Promise.race([pass, limit]).finally(() => clearTimeout(timer));
}

/**
 * Runs each grader's start-up hook, then its housekeeping (e.g. the Docker reaper) every interval.
 * Failures are logged: the engine or cluster being down at that moment is not fatal to the worker.
 * A pass starts an interval after the previous one ended, never beside it: on a loaded engine a
 * reaper pass (listing every image) outlasted a 2 s interval, and the passes piled up into a storm
 * of `GET /images/json` calls. A pass that hangs is given up on after `passLimitMs`, so
 * housekeeping goes on. Returns what stops the housekeeping.
 */
export function startGraders(graders: Graders, ctx: WorkerHousekeeping): () => void {
  const timers = new Map<LabKind, NodeJS.Timeout>();
  let stopped = false;
  for (const grader of Object.values(graders)) {
    const log = ctx.log.child({ kind: grader.kind });
    const kindCtx: HousekeepingContext = { ...ctx, log, reaped: (resource, count) => ctx.reaped(grader.kind, resource, count) };
    const settle = (what: string, work: Promise<void>) => work.catch((err: unknown) => log.warn({ err }, `${grader.kind} grader ${what} failed (is its engine or cluster up?)`));
    if (grader.start) void settle('start-up', grader.start(kindCtx));
    const housekeeping = grader.housekeeping;
    if (!housekeeping) continue;
    const next = () => {
      if (stopped) return;
      const timer = setTimeout(() => void settle('housekeeping', bounded(housekeeping.run(kindCtx), passLimitMs(housekeeping.intervalMs))).then(next), housekeeping.intervalMs);
      timer.unref();
      timers.set(grader.kind, timer);
    };
    next();
  }
  return () => {
    stopped = true;
    timers.forEach(clearTimeout);
  };
}
