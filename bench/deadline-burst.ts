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
 */
import { KadaiClient } from '@kadai/client';
import { judge } from '@kadai/selftest';
import { loadavg } from 'node:os';
import { handIn, knownCases, seededRandom, shuffle, type Accepted, type KnownCase, type LabKind } from '../test/chaos/burst';
import { startStack } from '../test/support/stack';
import { peakMemory, processTree, treesOfPidfiles } from './lib/memory';
import { percentile, writeResult } from './lib/result';
import { readdirSync } from 'node:fs';

const [workers = 2, dockerSlots = 2, kubernetesSlots = 3] = process.argv.slice(2).map(Number);
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
      capacity: capacityTable(gradingSeconds, burst.length / (allDoneMs / 60_000)),
      peakRssMiB: { ...peaks, note: 'kadai = api + workers + their reference-parsers helpers; engine (dockerd + its containerd + the attempts’ shims are not children) and buildkitd; cluster = every process infra/cluster started (shared with the other sessions’ tests)' },
    });
  } finally {
    await stack.stop();
  }
}

/**
 * Sizing for a course's deadline hour (bench/README.md, "Capacity model"): each of N students hands
 * in SUBMISSIONS_PER_STUDENT times in the hour in this burst's mix, half of it in the last
 * PEAK_MINUTES. Grading slots per kind by Little's law (arrival rate × mean grading time) at
 * UTILISATION, so that the queue stays short and latency near the grading time itself; cores by
 * scaling this machine's measured throughput of the mix (2 cores graded `perMinuteOn2Cores`).
 */
const SUBMISSIONS_PER_STUDENT = 3;
const PEAK_MINUTES = 10;
const UTILISATION = 0.7;
function capacityTable(gradingSeconds: Record<LabKind, number>, perMinuteOn2Cores: number) {
  const share: Record<LabKind, number> = { quiz: MIX.quiz / 300, docker: MIX.docker / 300, kubernetes: MIX.kubernetes / 300 };
  const rows = [100, 300, 1000, 3000].map((students) => {
    const peakPerMinute = (students * SUBMISSIONS_PER_STUDENT * 0.5) / PEAK_MINUTES;
    const slots = Object.fromEntries((Object.keys(share) as LabKind[]).map((k) => [k, Math.max(1, Math.ceil((peakPerMinute / 60) * share[k] * gradingSeconds[k] / UTILISATION))])) as Record<LabKind, number>;
    return {
      students,
      peakSubmissionsPerMinute: Math.round(peakPerMinute),
      slots,
      workers: Math.max(1, Math.ceil(slots.docker / dockerSlots), Math.ceil(slots.kubernetes / kubernetesSlots), Math.ceil(slots.quiz / 8)),
      cores: Math.max(2, Math.ceil((2 * peakPerMinute) / perMinuteOn2Cores / UTILISATION)),
    };
  });
  return { model: { submissionsPerStudent: SUBMISSIONS_PER_STUDENT, halfOfTheHourInLastMinutes: PEAK_MINUTES, utilisation: UTILISATION, gradingMeanSeconds: gradingSeconds, perMinuteOn2Cores: Math.round(perMinuteOn2Cores * 10) / 10, slotsPerWorker: { quiz: 8, docker: dockerSlots, kubernetes: kubernetesSlots } }, rows };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
