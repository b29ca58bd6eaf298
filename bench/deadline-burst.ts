/**
 * A course's deadline hour, compressed: 300 submissions arriving within one minute (200 quiz, 70
 * Docker, 30 Kubernetes; each a lab's solution or a wrong variant, so about half are right), from
 * 300 students, through the real api and worker processes on this machine's engine and cluster.
 * Measures the time until all are graded, submit→result latency per kind (submitted_at→finished_at),
 * the peak RSS of kadai's processes (and of the engine and cluster, which are shared), errors, and
 * whether every verdict is the one the lab's self-test expects. From the per-kind grading times it
 * derives a capacity table (bench/README.md explains the model).
 *
 *   npx tsx bench/deadline-burst.ts [workers] [docker slots per worker] [kubernetes slots per worker]
 *   npx tsx bench/deadline-burst.ts --capacity   re-derives the table from the committed result's figures
 */
import { KadaiClient } from '@kadai/client';
import { judge } from '@kadai/selftest';
import { loadavg } from 'node:os';
import { handIn, knownCases, seededRandom, shuffle, type Accepted, type KnownCase, type LabKind } from '../test/chaos/burst';
import { startStack } from '../test/support/stack';
import { peakMemory, processTree, treesOfPidfiles } from './lib/memory';
import { percentile, writeResult } from './lib/result';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { capacityTable, type Kind } from './lib/capacity';

const capacityOnly = process.argv[2] === '--capacity';
const [workers = 2, dockerSlots = 2, kubernetesSlots = 3] = capacityOnly ? [] : process.argv.slice(2).map(Number);
const MIX: Record<LabKind, number> = { quiz: 200, docker: 70, kubernetes: 30 };
const QUIZZES = Array.from({ length: 10 }, (_, i) => `quiz-ch${String(i + 1).padStart(2, '0')}`);
const DOCKER_LABS = ['docker-run-nginx', 'docker-ubuntu-nginx', 'docker-python-app', 'docker-multistage-go', 'docker-compose-counter', 'docker-compose-depends'];
// labs whose solutions grade in under ~10 s on a quiet cluster (bench/results/k8s-labs.json)
const KUBERNETES_LABS = ['k8s-node-labels', 'k8s-kubectl-basics', 'k8s-cluster-basics', 'k8s-first-deployment', 'k8s-echo-server-manifest', 'k8s-configmap'];
const STUDENTS = 300;
const ARRIVAL_MS = 60_000;
const TARGET_MS = 10 * 60_000;

/** `count` cases of the labs, alternating solutions and wrong variants across the labs. */
function pick(cases: KnownCase[], count: number): KnownCase[] {
  const right = cases.filter((c) => c.name === 'solution');
  const wrong = cases.filter((c) => c.name !== 'solution');
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? right[(i / 2) % right.length]! : wrong[Math.floor(i / 2) % wrong.length]!));
}

async function main() {
  const random = seededRandom(300);
  const loadAverageAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const burst = shuffle(
    [...pick(await knownCases(QUIZZES, 5), MIX.quiz), ...pick(await knownCases(DOCKER_LABS, 5), MIX.docker), ...pick(await knownCases(KUBERNETES_LABS, 5), MIX.kubernetes)],
    random,
  );
  const stack = await startStack('deadline_burst', {
    redisDb: 4,
    workers,
    workerEnv: { KADAI_CONCURRENCY_DOCKER: String(dockerSlots), KADAI_CONCURRENCY_KUBERNETES: String(kubernetesSlots) },
    apiEnv: { KADAI_RATE_ADDRESS_SUBMISSIONS: '100000', KADAI_RATE_ADDRESS_READS: '1000000' },
  });
  try {
    // 300 students on the demo course, each with a token of their own
    const admin = stack.client('admin');
    const [course] = await stack.sql<{ id: string }>(`SELECT id FROM courses ORDER BY created_at LIMIT 1`);
    const logins = Array.from({ length: STUDENTS }, (_, i) => `burst-${String(i).padStart(3, '0')}`);
    await admin.call('POST', `/v1/courses/${course!.id}/roster`, `login,name,role\n${logins.map((l) => `${l},${l},student`).join('\n')}\n`);
    const tokens = await Promise.all(logins.map(async (login) => (await admin.call<{ token: string }>('POST', `/v1/users/${login}/tokens`, { label: 'deadline-burst' })).token));

    const ownPids = () => processTree(process.pid).filter((p) => p !== process.pid);
    const memory = peakMemory({
      kadai: ownPids,
      engine: () => treesOfPidfiles(['/run/kadai/engine/dockerd.pid', '/run/kadai/buildkit/buildkitd.pid']),
      cluster: () => treesOfPidfiles(readdirSync('/run/kadai-cluster').filter((f) => f.endsWith('.pid')).map((f) => `/run/kadai-cluster/${f}`)),
    });

    const start = Date.now();
    const accepted: Accepted[] = [];
    const refused: string[] = [];
    await Promise.all(
      burst.map(async (known, i) => {
        await new Promise((r) => setTimeout(r, random() * ARRIVAL_MS));
        const client = new KadaiClient(stack.apiUrl, tokens[i % STUDENTS]!);
        try {
          accepted.push(await handIn(client, known, 60_000));
        } catch (error) {
          refused.push(`${known.lab} ${known.name}: ${(error as Error).message}`);
        }
      }),
    );
    const arrivalMs = Date.now() - start;
    const ids = accepted.map((a) => a.id);
    for (;;) {
      const [{ n }] = (await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE id = ANY($1) AND state IN ('graded', 'rejected', 'error')`, [ids])) as [{ n: number }];
      if (n === ids.length || Date.now() - start > 3 * TARGET_MS) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const allDoneMs = Date.now() - start;
    const peaks = memory.stop();

    const rows = await stack.sql<{ id: string; state: string; latency_ms: number; grading_ms: number }>(
      `SELECT id, state, (extract(epoch FROM finished_at - submitted_at) * 1000)::int AS latency_ms,
              (extract(epoch FROM finished_at - started_at) * 1000)::int AS grading_ms
         FROM submissions WHERE id = ANY($1)`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const sensei = stack.client('sensei');
    const perKind: Record<string, unknown> = {};
    const mismatches: string[] = [];
    for (const a of accepted) {
      const row = byId.get(a.id);
      if (row?.state === 'graded') {
        const verdict = judge(await sensei.submission(a.id), a.known.expected);
        if (!verdict.ok) mismatches.push(`${a.known.lab} ${a.known.name}: ${verdict.detail}`);
      }
    }
    for (const kind of ['quiz', 'docker', 'kubernetes'] as const) {
      const mine = accepted.filter((a) => a.known.kind === kind).map((a) => byId.get(a.id)!);
      const done = mine.filter((r) => r.latency_ms !== null);
      const latency = done.map((r) => r.latency_ms).sort((x, y) => x - y);
      const grading = done.map((r) => r.grading_ms).sort((x, y) => x - y);
      perKind[kind] = {
        submissions: mine.length,
        graded: mine.filter((r) => r.state === 'graded').length,
        errors: mine.filter((r) => r.state === 'error').length,
        latencyP50Ms: percentile(latency, 50),
        latencyP95Ms: percentile(latency, 95),
        latencyMaxMs: latency.at(-1),
        gradingP50Ms: percentile(grading, 50),
        gradingMeanMs: Math.round(grading.reduce((s, g) => s + g, 0) / Math.max(1, grading.length)),
      };
    }
    const gradingSeconds = Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, (v as { gradingMeanMs: number }).gradingMeanMs / 1000])) as Record<LabKind, number>;
    writeResult('deadline-burst', {
      loadAverageAtStart,
      setup: `${burst.length} submissions (200 quiz, 70 Docker, 30 Kubernetes; solutions and wrong variants alternating per kind) from ${STUDENTS} students, arriving at uniformly random times within ${ARRIVAL_MS / 1000} s; ${workers} worker processes, each grading up to 8 quizzes, ${dockerSlots} Docker and ${kubernetesSlots} Kubernetes labs at once; the api and workers from source (tsx); PostgreSQL, Redis, kadai's engine and the cluster shared with the other sessions on the machine`,
      target: { allGradedMs: TARGET_MS },
      arrivalMs,
      allGradedMs: allDoneMs,
      metTarget: allDoneMs <= TARGET_MS,
      refusedAtIntake: refused,
      infrastructureErrors: rows.filter((r) => r.state === 'error').length,
      verdictMismatches: mismatches,
      perKind,
      capacity: capacity(gradingSeconds, burst.length / (allDoneMs / 60_000), { quiz: 8, docker: dockerSlots, kubernetes: kubernetesSlots }),
      peakRssMiB: { ...peaks, note: 'kadai = api + workers + their reference-parsers helpers; engine (dockerd + its containerd + the attempts’ shims are not children) and buildkitd; cluster = every process infra/cluster started (shared with the other sessions’ tests)' },
    });
  } finally {
    await stack.stop();
  }
}

/**
 * Sizing for a course's deadline hour (bench/README.md, "Capacity model"): each of N students hands
 * in 3 times in the hour in this burst's mix, half of it in the last 10 minutes; per kind, the
 * fewest grading slots whose p95 wait in the queue is within the operator's target.
 */
const TARGET_WAIT_P95_SECONDS: Record<Kind, number> = { quiz: 5, docker: 60, kubernetes: 60 };
function capacity(gradingMeanSeconds: Record<Kind, number>, perMinuteOn2Cores: number, slotsPerWorker: Record<Kind, number>) {
  const share = { quiz: MIX.quiz / 300, docker: MIX.docker / 300, kubernetes: MIX.kubernetes / 300 };
  return capacityTable({ share, gradingMeanSeconds, targetWaitP95Seconds: TARGET_WAIT_P95_SECONDS, slotsPerWorker, perMinuteOn2Cores, submissionsPerStudent: 3, peakMinutes: 10 });
}

/** The committed result's capacity table, re-derived from its own measured figures (no new burst). */
function recomputeCapacity() {
  const file = path.join(__dirname, 'results', 'deadline-burst.json');
  const result = JSON.parse(readFileSync(file, 'utf8'));
  const kinds = Object.keys(MIX) as Kind[];
  const grading = Object.fromEntries(kinds.map((k) => [k, result.perKind[k].gradingMeanMs / 1000])) as Record<Kind, number>;
  const slotsPerWorker = result.capacity.model.slotsPerWorker as Record<Kind, number>;
  result.capacity = capacity(grading, result.capacity.model.perMinuteOn2Cores, slotsPerWorker);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result.capacity, null, 2));
}

(capacityOnly ? Promise.resolve(recomputeCapacity()) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
