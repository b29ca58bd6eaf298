import { createPool, newToken, storeToken, upsertUser } from '@kadai/db';
import autocannon from 'autocannon';
import { solutionAnswers, startStack } from '../test/support/stack';
import { UNLIMITED_RATES } from './lib/unlimited';
import { writeResult } from './lib/result';

/** Creates `count` students enrolled in the demo course and returns their tokens. */
async function enrolStudents(databaseUrl: string, count: number): Promise<string[]> {
  const db = createPool(databaseUrl, 2);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = await upsertUser(db, `bench-student-${i}`, `Bench ${i}`, 'student');
    const token = newToken();
    await storeToken(db, id, token, 'bench');
    await db.query(`INSERT INTO enrollments (course_id, user_id, role) VALUES ('demo', $1, 'student') ON CONFLICT DO NOTHING`, [id]);
    tokens.push(token);
  }
  await db.end();
  return tokens;
}

/**
 * Quiz submissions accepted per second by the real api (Postgres + Redis on this machine), with a
 * worker grading them at the same time, as in production. Target: ≥ 1,000 requests/s, p99 < 50 ms.
 */
async function measure(url: string, tokens: string[], connections: number, seconds: number) {
  const body = JSON.stringify({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
  let next = 0;
  // Each request comes from the next student in turn, as a class submitting at once would.
  const request = {
    method: 'POST' as const,
    path: '/v1/submissions',
    body,
    setupRequest: (req: autocannon.Request) => ({ ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
  };
  await autocannon({ url, connections: 8, duration: 3, requests: [request] }); // warm-up: JIT, pools, caches
  const run = await autocannon({ url, connections, duration: seconds, requests: [request] });
  return {
    requestsPerSecond: Math.round((run['2xx'] / run.duration) * 10) / 10,
    p50Ms: run.latency.p50,
    p99Ms: run.latency.p99,
    maxMs: run.latency.max,
    accepted: run['2xx'],
    non2xx: run.non2xx,
    errors: run.errors,
  };
}

/**
 * Quiz submissions accepted per second by the real api against PostgreSQL and Redis on this machine.
 * Target: ≥ 1,000 requests/s with p99 < 50 ms. Measured twice: the api alone (what it accepts), and
 * with a worker grading the same submissions at the same time on the same two cores.
 */
async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
  const students = Number(process.env.BENCH_STUDENTS ?? 200);
  const stack = await startStack('bench_api_submit', { redisDb: 10, workers: 0, apiEnv: UNLIMITED_RATES });
  try {
    const tokens = await enrolStudents(stack.databaseUrl, students);
    const apiAlone = await measure(stack.apiUrl, tokens, connections, seconds);
    await stack.startWorker();
    const withWorker = await measure(stack.apiUrl, tokens, connections, seconds);
    writeResult('api-submit', {
      target: { requestsPerSecond: 1000, p99Ms: 50 },
      ...apiAlone,
      withWorkerGrading: withWorker,
      connections,
      students,
      durationSeconds: seconds,
      setup:
        'POST /v1/submissions with quiz answers as JSON, each request from the next of `students` enrolled students (autocannon, same machine); apps/api (1 process) + PostgreSQL 15 + Redis 7. Top-level figures: the api alone; withWorkerGrading: apps/worker grading concurrently on the same 2 cores.',
    });
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
