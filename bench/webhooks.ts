import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { freePort, solutionAnswers, startStack } from '../test/support/stack';
import { percentile, writeResult } from './lib/result';
import { UNLIMITED_RATES } from './lib/unlimited';

/**
 * Webhook delivery latency after a grade, with the receiver up: from the moment the grade is
 * recorded (submissions.finished_at: now() of the transaction that also writes the outbox row, so a
 * little before its commit — the figure errs long) to
 * the moment a receiver verifying with `standardwebhooks` has the message. One submission at a time.
 */
async function main(): Promise<void> {
  const count = Number(process.env.BENCH_SUBMISSIONS ?? 100);
  const warmUp = 10;
  const env = { KADAI_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1' };
  const stack = await startStack('bench_webhooks', { redisDb: 11, workers: 1, workerEnv: env, apiEnv: { ...UNLIMITED_RATES, ...env } });
  const received = new Map<string, number>();
  let secret = '';
  const port = await freePort();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as { data: { submissionId: string } };
      received.set(payload.data.submissionId, Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    const [course] = await stack.sql<{ id: string }>('SELECT id FROM courses LIMIT 1');
    const registered = await fetch(`${stack.apiUrl}/v1/courses/${course!.id}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.tokens.sensei}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/hook`, events: ['submission.graded'] }),
    });
    secret = ((await registered.json()) as { secret: string }).secret;
    const client = stack.client('student1');
    const answers = solutionAnswers('quiz-ch01');
    const latencies: number[] = [];
    for (let i = 0; i < count + warmUp; i++) {
      const { id } = await client.submitJson({ lab: 'quiz-ch01', answers });
      const deadline = Date.now() + 30_000;
      while (!received.has(id)) {
        if (Date.now() > deadline) throw new Error(`no webhook for ${id} within 30 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      const [row] = await stack.sql<{ finished: Date }>('SELECT finished_at AS finished FROM submissions WHERE id = $1', [id]);
      if (i >= warmUp) latencies.push(received.get(id)! - row!.finished.getTime());
    }
    latencies.sort((a, b) => a - b);
    writeResult('webhooks', {
      deliveries: count,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
      setup: 'quiz graded by the worker; grade commit (finished_at) → verified receipt at a local receiver; delivery woken by NOTIFY; api + worker + PostgreSQL + Redis on this machine, one submission at a time',
    });
  } finally {
    server.close();
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
