import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/stack';
import { runChaos, SERVICE_FAULTS, type ChaosReport, type ServiceFault } from './run';

// The short, bounded chaos run CI does (bench/chaos.ts is the long one): a mixed burst of quiz,
// Docker and Kubernetes submissions whose quiet verdicts are their self-test expectations, graded
// while workers are SIGKILLed mid-grading and replaced, and Redis (flushed), PostgreSQL, kadai's
// Docker engine and the cluster's API server are restarted once each. Redis and PostgreSQL are the
// run's own; the engine and the API server are the machine's: KADAI_CHAOS_FAULTS narrows the
// service faults (e.g. "redis,postgres") where other test runs share them.
const faults = (process.env.KADAI_CHAOS_FAULTS ?? SERVICE_FAULTS.join(',')).split(',').filter(Boolean);
const unknown = faults.filter((f) => !SERVICE_FAULTS.includes(f as ServiceFault));
if (unknown.length > 0) throw new Error(`KADAI_CHAOS_FAULTS: unknown fault ${unknown.join(', ')} (known: ${SERVICE_FAULTS.join(', ')})`);

// 7 min: measured 7.0 min at load 20 and 9.5 at load 25 here (mostly starting workers from source),
// far less expected on CI's otherwise idle machine; the report says what had not finished by then
const BUDGET_MINUTES = Number(process.env.KADAI_CHAOS_BUDGET_MINUTES ?? 7);

let report: ChaosReport;
beforeAll(async () => {
  report = await runChaos({
    labs: ['quiz-ch01', 'quiz-ch02', 'quiz-ch03', 'docker-run-nginx', 'docker-python-app', 'k8s-node-labels', 'k8s-kubectl-basics'],
    wrongPerLab: 2,
    copies: 1,
    workers: 3,
    workerKills: 6,
    serviceFaults: Object.fromEntries(SERVICE_FAULTS.map((f) => [f, faults.includes(f) ? 1 : 0])) as Record<ServiceFault, number>,
    spreadMs: 10_000,
    faultWindowMs: 40_000,
    budgetMs: BUDGET_MINUTES * 60_000,
    seed: Number(process.env.KADAI_CHAOS_SEED ?? Date.now() % 100_000),
    workerEnv: { KADAI_CONCURRENCY_KUBERNETES: '3' },
    log: (line) => console.log(`[chaos] ${line}`),
  });
  // kept beside the other test reports for reading after a CI run
  const dir = path.join(REPO_ROOT, '.kadai', 'test-reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'chaos-run.json'), `${JSON.stringify(report, null, 2)}\n`);
}, (BUDGET_MINUTES + 3) * 60_000); // + stopping the stack and the services

it('injected every fault it was asked to, workers killed while they were grading', () => {
  expect(report.faultsInjected).toMatchObject({ workerKills: 6, ...Object.fromEntries(SERVICE_FAULTS.map((f) => [f, faults.includes(f) ? 1 : 0])) });
  expect(report.faultsInjected.workerKillsMidGrading).toBeGreaterThan(0);
  expect(report.byKind.quiz * report.byKind.docker * report.byKind.kubernetes).toBeGreaterThan(0);
});

it('keeps the api and every worker it did not kill running', () => {
  expect(report.processesDied).toEqual([]);
});

it('ends every submission graded, rejected or error: none lost, none graded twice', () => {
  expect(report.lost).toEqual([]);
  expect(report.outcomes.unfinished).toBe(0);
  expect(report.outcomes.graded + report.outcomes.rejected + report.outcomes.error).toBe(report.submissions);
  expect(report.gradedTwice).toEqual([]);
});

it('grades every submission as a quiet system does: no infrastructure failure recorded as a student’s score', () => {
  expect(report.verdictMismatches).toEqual([]);
  // `error` is a right end for kadai's failure (retries outlast each restart, so it is rare; the
  // report lists each): never with a score or a check result the student would read as theirs
  expect(report.errorsWithScore).toEqual([]);
});

it('leaves no container, network, namespace or fake node behind', () => {
  expect(report.leftovers).toEqual({ docker: [], namespaces: [], fakeNodes: [] });
});
