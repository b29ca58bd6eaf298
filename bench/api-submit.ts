import { createPool, newToken, storeToken, upsertUser } from '@kadai/db';
import autocannon from 'autocannon';
import { solutionAnswers, startStack } from '../test/support/stack';
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
async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const students = Number(process.env.BENCH_STUDENTS ?? 200);
  const stack = await startStack('bench_api_submit', { redisDb: 10, workers: 1 });
  try {
    const tokens = await enrolStudents(stack.databaseUrl, students);
    const body = JSON.stringify({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') });
    let next = 0;
    // Each request comes from the next student in turn, as a class submitting at once would.
    const request = {
      method: 'POST' as const,
      path: '/v1/submissions',
      body,
      setupRequest: (req: autocannon.Request) => ({ ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
    };
    // warm-up: JIT, connection pools, token cache
    await autocannon({ url: stack.apiUrl, connections: 8, duration: 3, requests: [request] });
    const run = await autocannon({ url: stack.apiUrl, connections, duration: seconds, requests: [request] });
    const accepted = run['2xx'];
    writeResult('api-submit', {
      target: { requestsPerSecond: 1000, p99Ms: 50 },
      requestsPerSecond: Math.round((accepted / run.duration) * 10) / 10,
      p50Ms: run.latency.p50,
      p99Ms: run.latency.p99,
      maxMs: run.latency.max,
      accepted,
      non2xx: run.non2xx,
      errors: run.errors,
      connections,
      students,
      durationSeconds: run.duration,
      setup: 'POST /v1/submissions with quiz answers as JSON, each request from the next of `students` enrolled students; apps/api (1 process) + apps/worker (1 process, grading concurrently) + PostgreSQL 15 + Redis 7 on this machine; autocannon in the same machine',
    });
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
