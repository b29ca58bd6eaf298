import type { Lab, LabDefinition } from '@kadai/catalog';
import { Budget, checkIssues, runChecks } from '@kadai/checks';
import { InfrastructureError, RejectedInputError, type InputIssue } from '@kadai/errors';
import { attemptTimes, stepTimer, type Grader, type HousekeepingContext } from '@kadai/grading';
import Docker from 'dockerode';
import { CHECK_TYPES } from './checks';
import { engine } from './engine';
import { DEFAULT_DOCKER_OPTIONS, type DockerGraderOptions } from './options';
import { egressProblems, ensureBuildEgress, type BuildEgress } from './build-egress';
import { mirrorAddress } from './builder';
import { BUILD_BRIDGE } from './isolation';
import { reap, runsOnEngine } from './reaper';
import { reapTransfers } from './buildkit/transfer';
import { SandboxSafety } from './safety';
import { Sandbox } from './sandbox';
import { UnsafeSandboxError } from './unsafe';
import { dockerSection } from './spec';
import { readSubmission } from './submission';

/**
 * The share of the attempt's time kept for starting the containers and checking them while images
 * build (capped by `runTimeoutMs`): a build that takes longer fails for the student, and the checks
 * still run to say so. Of that, starting may take all but this share, so checks still report.
 */
const RUN_SHARE = 0.4;
const CHECKS_SHARE_OF_RUN = 0.3;

function dockerLab(lab: Lab): Exclude<LabDefinition, { kind: 'quiz' }> {
  if (lab.definition.kind !== 'docker') throw new RejectedInputError(`${lab.definition.id} is not a docker lab`);
  return lab.definition as Exclude<LabDefinition, { kind: 'quiz' }>;
}

/** Validates a docker lab's `docker:` section and every check's type-specific fields (for the catalog loader). */
export function dockerLabIssues(file: string, def: LabDefinition): InputIssue[] {
  if (def.kind !== 'docker') return [];
  const issues: InputIssue[] = [];
  const docker = dockerSection.safeParse((def as { docker?: unknown }).docker);
  if (!docker.success) for (const i of docker.error.issues) issues.push({ file, field: ['docker', ...i.path].join('.'), message: i.message });
  return [...issues, ...checkIssues(file, def.checks, CHECK_TYPES)];
}

/** The build network's firewall in place, or a non-retryable InfrastructureError: never build with open egress. */
async function closeBuildNetwork(egress: BuildEgress): Promise<void> {
  if ((await egressProblems(egress)).length === 0) return;
  try {
    await ensureBuildEgress(egress);
  } catch (error) {
    throw new UnsafeSandboxError(`cannot close the build network's egress: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The docker grader: reads the submission into a project (rejecting what the sandbox policy
 * refuses), builds and runs it in a sandbox of its own on the Docker engine, evaluates the lab's
 * checks in order, and always removes what it created. The attempt's work stays within the lab's
 * time limit, split between the build and the run (start and checks); cleanup comes after it.
 */
export type DockerGrader = Grader & { docker: Docker; options: DockerGraderOptions; safety: SandboxSafety };

export function createDockerGrader(overrides: Partial<DockerGraderOptions> = {}): DockerGrader {
  const options: DockerGraderOptions = { ...DEFAULT_DOCKER_OPTIONS, ...overrides };
  const docker = new Docker({ socketPath: options.socketPath });
  // every limit an attempt relies on, checked before each attempt (safety.ts)
  const safety = new SandboxSafety(docker, options);
  const egress: BuildEgress = { bridge: BUILD_BRIDGE, gateway: mirrorAddress(options), mirrorPort: options.packageMirrorPort };

  // The resources of runs whose lease is over (a crashed or stalled worker's), whatever their age; a
  // live run's are its owner's to remove; what no run of this database accounts for goes by age.
  // Built images pass through the registry for seconds (buildkit/transfer.ts): an old transfer is a dead worker's.
  const emptiedTransfers = new Set<string>();
  const reapReleased = async (ctx: HousekeepingContext) => {
    const runs = await ctx.releasedRuns(await runsOnEngine(docker));
    const removed = await reap(docker, { olderThanMs: options.reapAfterMs, runs });
    const transfers = await reapTransfers(options.transferRegistry, options.reapAfterMs, emptiedTransfers).catch((error: unknown) => {
      ctx.log.warn({ err: error }, 'the registry part of the docker reaper failed; it runs again next time');
      return 0;
    });
    for (const [resource, count] of Object.entries({ ...removed, transfers })) ctx.reaped(resource, count);
    ctx.log.info({ removed: { ...removed, transfers } }, 'docker reaper ran');
  };

  return {
    kind: 'docker',
    docker,
    options,
    safety,
    async validate(lab, files) {
      await readSubmission(dockerLab(lab), files, options);
    },
    start: reapReleased,
    async ready() {
      await docker.ping();
      if (!safety.status.ok) throw new Error(`sandbox limits not in place: ${safety.status.problems.join('; ')}`);
    },
    housekeeping: { intervalMs: options.reapIntervalMs, run: reapReleased },
    async grade(lab, input, ctx) {
      const def = dockerLab(lab);
      const issues = dockerLabIssues('lab.yaml', def);
      if (issues.length > 0) throw new InfrastructureError(`lab ${def.id} is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, false);
      const attempt = Budget.root(attemptTimes(def.timeLimitSeconds).workMs, ctx.signal);
      // How long each step took, logged with the outcome (prepare, build, start, checks, cleanup).
      const { stepMs, step } = stepTimer();
      try {
        const { project, dockerfiles, limits } = await step('prepare', async () => ({
          ...(await readSubmission(def, input.files, options)),
          limits: await engine('ping', () => docker.ping()).then(() => safety.ensure()),
        }));
        const sandbox = new Sandbox(docker, options, input.submissionId, ctx.token, ctx.log, limits);
        try {
          const runReserveMs = Math.min(options.runTimeoutMs, RUN_SHARE * attempt.limitMs);
          const build = attempt.child('the build', { limitMs: options.buildTimeoutMs, reserveMs: runReserveMs });
          // checked before every attempt that builds: a flushed firewall must stop builds, not open them
          if (options.buildNetwork && options.isolateFromHost && project.services.some((s) => s.build)) await closeBuildNetwork(egress);
          await step('build', () => sandbox.build(project, input.files, dockerfiles, build.signal)).finally(() => build.dispose());
          const run = attempt.child('running and checking', { limitMs: options.runTimeoutMs });
          try {
            const start = run.child('starting the containers', { reserveMs: CHECKS_SHARE_OF_RUN * run.limitMs });
            await step('start', () => sandbox.up(project, start.signal)).finally(() => start.dispose());
            return await step('checks', () =>
              runChecks({
                checks: def.checks,
                registry: CHECK_TYPES,
                visibility: def.visibility,
                budget: run,
                log: ctx.log,
                context: (check) => ({ ...check, sandbox, project, dockerfiles }),
              }),
            );
          } finally {
            run.dispose();
          }
        } finally {
          await step('cleanup', () => sandbox.down());
        }
      } catch (error) {
        if (error instanceof UnsafeSandboxError) {
          safety.report(error);
          ctx.log.error({ err: error, safety: safety.status }, 'DOCKER SANDBOX UNSAFE: not grading');
        }
        throw error;
      } finally {
        attempt.dispose();
        ctx.log.info({ stepMs, budgetMs: attempt.limitMs }, 'docker attempt done');
      }
    },
  };
}
