import { signedHeaders } from '@kadai/webhooks';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freePort, REPO_ROOT, solutionAnswers, startStack, type Stack } from '../support/stack';
import { forgetLabFiles } from '../support/lab-reload';
import { until } from '../support/until';

// Course webhooks through the real api, worker, PostgreSQL and Redis, received by HTTP servers that
// verify every message with the `standardwebhooks` library, as a real receiver would.

const RETRY_SCHEDULE_MS = '400,800,1200,1600,2000';
const WEBHOOK_ENV = { KADAI_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1', KADAI_WEBHOOK_POLL_MS: '200', KADAI_WEBHOOK_TIMEOUT_MS: '1500', KADAI_WEBHOOK_RETRY_SCHEDULE_MS: RETRY_SCHEDULE_MS };

let stack: Stack;
let worker: ChildProcess;
let courseId: string;
beforeAll(async () => {
  stack = await startStack('webhooks', { redisDb: 6, workers: 0, workerEnv: WEBHOOK_ENV, apiEnv: { KADAI_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1', KADAI_LOOKUP_CACHE_MS: '0' } });
  worker = await stack.startWorker();
  courseId = (await stack.sql<{ id: string }>('SELECT id FROM courses LIMIT 1'))[0]!.id;
}, 240_000);
afterAll(async () => {
  for (const r of receivers) await r.close();
  await stack?.stop();
});

const api = (method: string, url: string, token: string, body?: unknown) =>
  fetch(`${stack.apiUrl}${url}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

interface Received {
  headers: Record<string, string>;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  at: number;
}

/**
 * A receiver as a real one is written: it verifies with standardwebhooks and answers 2xx. `answer`
 * may make it fail, stall or be gone for a while; unverifiable messages are counted, not accepted.
 */
class Receiver {
  received: Received[] = [];
  unverified = 0;
  hits = 0;
  secrets: string[] = [];
  answer: (hit: number, res: ServerResponse) => boolean = () => false;
  private server?: Server;
  constructor(readonly port: number) {}

  static async start(): Promise<Receiver> {
    const receiver = new Receiver(await freePort());
    await receiver.listen();
    receivers.push(receiver);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  listen(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        this.hits += 1;
        if (this.answer(this.hits, res)) return;
        const headers = req.headers as Record<string, string>;
        const verified = this.secrets.some((secret) => {
          try {
            new Webhook(secret).verify(body, headers);
            return true;
          } catch {
            return false;
          }
        });
        if (!verified) {
          this.unverified += 1;
          res.writeHead(400).end('bad signature');
          return;
        }
        this.received.push({ headers, body, payload: JSON.parse(body), at: Date.now() });
        res.writeHead(204).end();
      });
    });
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  waitFor(count: number, timeoutMs = 20_000): Promise<Received[]> {
    return until(`${count} verified messages at ${this.url}`, async () => (this.received.length >= count ? this.received : undefined), timeoutMs);
  }
}
const receivers: Receiver[] = [];

/** Registers a webhook for the demo course (as its instructor); the receiver learns the secret. */
async function register(receiver: Receiver, events?: string[]): Promise<{ id: string; secret: string }> {
  const response = await api('POST', `/v1/courses/${courseId}/webhooks`, stack.tokens.sensei, { url: receiver.url, ...(events ? { events } : {}) });
  expect(response.status).toBe(201);
  const endpoint = (await response.json()) as { id: string; secret: string };
  receiver.secrets.push(endpoint.secret);
  return endpoint;
}
const unregister = async (id: string) => expect((await api('DELETE', `/v1/webhooks/${id}`, stack.tokens.sensei)).status).toBe(204);

async function submitGraded(who: 'student1' | 'student2', lab: string): Promise<string> {
  const { id } = await stack.client(who).submitJson({ lab, answers: solutionAnswers(lab) });
  const view = await stack.client(who).waitForResult(id, 20_000);
  expect(view.state).toBe('graded');
  return id;
}

type Delivery = { id: string; messageId: string; state: string; attempts: number; history: Array<{ status: number | null; error: string | null; at: string }> };
const deliveries = async (endpointId: string): Promise<Delivery[]> => ((await (await api('GET', `/v1/webhooks/${endpointId}/deliveries`, stack.tokens.sensei)).json()) as { deliveries: Delivery[] }).deliveries;
/** The log once every message is recorded as delivered (the receiver may see one before its attempt is recorded). */
const deliveredLog = (endpointId: string) =>
  until('every delivery recorded as delivered', async () => {
    const log = await deliveries(endpointId);
    return log.length > 0 && log.every((d) => d.state === 'delivered') ? log : undefined;
  });

describe('a grade told to the course’s webhooks', () => {
  it('arrives signed as Standard Webhooks, verified by the standardwebhooks library, with the grade in it', async () => {
    const receiver = await Receiver.start();
    const endpoint = await register(receiver);
    const submissionId = await submitGraded('student1', 'quiz-ch01');
    const [message] = await receiver.waitFor(1);
    expect(message!.payload).toMatchObject({ type: 'submission.graded', data: { submissionId, courseId, labId: 'quiz-ch01', login: 'student1', state: 'graded', score: 8, maxScore: 8, attempt: 1, gradingRun: 1 } });
    expect(message!.payload.data.labVersion).toEqual(expect.any(String));
    expect(message!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(receiver.unverified).toBe(0);
    // the outbox row was written with the grade; the log shows one successful attempt
    const [logged] = await deliveredLog(endpoint.id);
    expect(logged).toMatchObject({ messageId: message!.headers['webhook-id'], state: 'delivered', attempts: 1, history: [{ status: 204, error: null }] });
    await unregister(endpoint.id);
  });

  it('tells of a regrade as submission.regraded, and sends only the events an endpoint asked for', async () => {
    const all = await Receiver.start();
    const regradesOnly = await Receiver.start();
    const endpoints = [await register(all), await register(regradesOnly, ['submission.regraded'])];
    const submissionId = await submitGraded('student2', 'quiz-ch02');
    await all.waitFor(1);
    expect((await api('POST', `/v1/submissions/${submissionId}/regrade`, stack.tokens.sensei, { reason: 'webhook test' })).status).toBe(202);
    const [regraded] = await regradesOnly.waitFor(1);
    expect(regraded!.payload).toMatchObject({ type: 'submission.regraded', data: { submissionId, gradingRun: 2 } });
    const types = (await all.waitFor(2)).map((m) => m.payload.type);
    expect(types).toEqual(['submission.graded', 'submission.regraded']);
    expect(regradesOnly.received).toHaveLength(1);
    for (const e of endpoints) await unregister(e.id);
  });

  it('is retried while the receiver is down, and arrives once it is back', async () => {
    const receiver = new Receiver(await freePort()); // not listening yet: connections are refused
    receivers.push(receiver);
    const endpoint = await register(receiver);
    await submitGraded('student1', 'quiz-ch03');
    const failing = await until('two failed attempts', async () => {
      const [d] = await deliveries(endpoint.id);
      return d && d.attempts >= 2 ? d : undefined;
    });
    expect(failing.state).toBe('pending');
    expect(failing.history[0]!.error).toMatch(/ECONNREFUSED/);
    await receiver.listen();
    const [message] = await receiver.waitFor(1);
    expect(message!.payload.type).toBe('submission.graded');
    const [logged] = await deliveredLog(endpoint.id);
    expect(logged!.state).toBe('delivered');
    expect(logged!.attempts).toBeGreaterThanOrEqual(3);
    await unregister(endpoint.id);
  });

  it('gives a slow receiver 10 s at most (1.5 s here) and tries again', async () => {
    const receiver = await Receiver.start();
    receiver.answer = (hit) => hit === 1; // the first request is never answered
    const endpoint = await register(receiver);
    await submitGraded('student2', 'quiz-ch04');
    await receiver.waitFor(1);
    const [logged] = await deliveredLog(endpoint.id);
    expect(logged).toMatchObject({ state: 'delivered', attempts: 2 });
    expect(logged!.history[0]).toMatchObject({ status: null, error: expect.stringMatching(/no answer within 1500 ms/) });
    await unregister(endpoint.id);
  });

  it('honours Retry-After, and keeps the message id across attempts', async () => {
    const receiver = await Receiver.start();
    const ids: string[] = [];
    receiver.answer = (hit, res) => {
      if (hit > 1) return false;
      res.writeHead(503, { 'retry-after': '2' }).end('busy');
      return true;
    };
    const endpoint = await register(receiver);
    await submitGraded('student1', 'quiz-ch05');
    const [message] = await receiver.waitFor(1);
    ids.push(message!.headers['webhook-id']!);
    const [logged] = await deliveredLog(endpoint.id);
    expect(logged!.history).toHaveLength(2);
    const gap = Date.parse(logged!.history[1]!.at) - Date.parse(logged!.history[0]!.at);
    expect(gap).toBeGreaterThanOrEqual(1_900); // the schedule alone would have waited 0.4 s (± 20 %)
    expect(logged!.messageId).toBe(ids[0]);
    await unregister(endpoint.id);
  });

  it('disables an endpoint that answers 410 Gone, sends nothing to it meanwhile, and resumes when enabled', async () => {
    const receiver = await Receiver.start();
    let gone = true;
    receiver.answer = (_hit, res) => {
      if (!gone) return false;
      res.writeHead(410).end();
      return true;
    };
    const endpoint = await register(receiver);
    await submitGraded('student2', 'quiz-ch06');
    const disabled = await until('the endpoint disabled', async () => {
      const e = (await (await api('GET', `/v1/webhooks/${endpoint.id}`, stack.tokens.sensei)).json()) as { disabledAt: string | null; disabledReason: string | null };
      return e.disabledAt ? e : undefined;
    });
    expect(disabled.disabledReason).toMatch(/410/);
    expect((await deliveries(endpoint.id))[0]).toMatchObject({ state: 'failed', attempts: 1 });
    const hitsWhileDisabled = receiver.hits;
    await submitGraded('student2', 'quiz-ch07');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.hits).toBe(hitsWhileDisabled);
    gone = false;
    expect((await api('POST', `/v1/webhooks/${endpoint.id}/enable`, stack.tokens.sensei)).status).toBe(200);
    // the failed one is sent again by hand
    const failed = (await deliveries(endpoint.id)).find((d) => d.state === 'failed')!;
    expect((await api('POST', `/v1/webhooks/${endpoint.id}/deliveries/${failed.id}/redeliver`, stack.tokens.sensei)).status).toBe(202);
    const messages = await receiver.waitFor(1);
    expect(messages.map((m) => m.headers['webhook-id'])).toContain(failed.messageId);
    await unregister(endpoint.id);
  });

  it('redelivers by hand with the same webhook-id, so a receiver can tell a replay of what it has', async () => {
    const receiver = await Receiver.start();
    const endpoint = await register(receiver);
    await submitGraded('student1', 'quiz-ch08');
    const [first] = await receiver.waitFor(1);
    const [logged] = await deliveredLog(endpoint.id);
    expect((await api('POST', `/v1/webhooks/${endpoint.id}/deliveries/${logged!.id}/redeliver`, stack.tokens.sensei)).status).toBe(202);
    const [, again] = await receiver.waitFor(2);
    expect(again!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(again!.body).toBe(first!.body);
    // a student may not see or redeliver a course's webhooks
    expect((await api('POST', `/v1/webhooks/${endpoint.id}/deliveries/${logged!.id}/redeliver`, stack.tokens.student1)).status).toBe(403);
    await unregister(endpoint.id);
  });

  it('tells of a run that ended in error (kadai’s failure) as submission.error', async () => {
    const receiver = await Receiver.start();
    const endpoint = await register(receiver, ['submission.error']);
    // a worker whose catalog lacks the lab (and cannot load it: its files are gone) fails it as an infrastructure error, retried then `error`
    await forgetLabFiles(stack, 'quiz-ch09');
    const staleCatalog = mkdtempSync(path.join(tmpdir(), 'kadai-webhooks-catalog-'));
    cpSync(path.join(REPO_ROOT, 'labs', 'quiz-ch02'), path.join(staleCatalog, 'quiz-ch02'), { recursive: true });
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    const stale = await stack.startWorker({ KADAI_WORKER_ID: 'webhooks-stale', KADAI_LABS_DIR: staleCatalog });
    try {
      const { id } = await stack.client('student2').submitJson({ lab: 'quiz-ch09', answers: solutionAnswers('quiz-ch09') });
      const [message] = await receiver.waitFor(1, 40_000);
      expect(message!.payload).toMatchObject({ type: 'submission.error', data: { submissionId: id, state: 'error', score: null } });
    } finally {
      stale.kill('SIGTERM');
      await new Promise((r) => stale.once('exit', r));
      worker = await stack.startWorker();
    }
    await unregister(endpoint.id);
  }, 90_000);
});

describe('the signing secret', () => {
  it('rotates with the old and the new secret both valid for a while', async () => {
    const receiver = await Receiver.start();
    const endpoint = await register(receiver);
    const oldSecret = receiver.secrets[0]!;
    const rotated = (await (await api('POST', `/v1/webhooks/${endpoint.id}/rotate-secret`, stack.tokens.sensei)).json()) as { secret: string; previousSecretValidUntil: string };
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(Date.parse(rotated.previousSecretValidUntil)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    await submitGraded('student1', 'quiz-ch10');
    const [message] = await receiver.waitFor(1);
    // a receiver still on the old secret and one already on the new both verify the same message
    for (const secret of [oldSecret, rotated.secret]) expect(() => new Webhook(secret).verify(message!.body, message!.headers)).not.toThrow();
    expect(message!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    await unregister(endpoint.id);
  });

  it('lets a receiver refuse forged, tampered, replayed-late and expired messages', async () => {
    const receiver = await Receiver.start();
    const endpoint = await register(receiver);
    await submitGraded('student2', 'quiz-ch01');
    const [message] = await receiver.waitFor(1);
    const secret = receiver.secrets[0]!;
    const verify = (body: string, headers: Record<string, string>) => () => new Webhook(secret).verify(body, headers);
    expect(verify(message!.body, message!.headers)).not.toThrow();
    // signed with another secret (a forger without kadai's)
    const forged = signedHeaders(message!.headers['webhook-id']!, new Date(), message!.body, [`whsec_${Buffer.alloc(32, 7).toString('base64')}`]);
    expect(verify(message!.body, forged)).toThrow(/signature/i);
    // the body changed after signing (a better score)
    expect(verify(message!.body.replace('"score":', '"score":100+'), message!.headers)).toThrow(/signature/i);
    // the same message replayed later: its timestamp is outside the 5-minute tolerance
    const replayed = signedHeaders(message!.headers['webhook-id']!, new Date(Date.now() - 10 * 60_000), message!.body, [secret]);
    expect(verify(message!.body, replayed)).toThrow(/too old/i);
    // a timestamp from the future (a message prepared to be replayed later)
    const future = signedHeaders(message!.headers['webhook-id']!, new Date(Date.now() + 10 * 60_000), message!.body, [secret]);
    expect(verify(message!.body, future)).toThrow(/too new/i);
    await unregister(endpoint.id);
  });
});

describe('webhook URLs', () => {
  const refused = async (url: string, reason: RegExp) => {
    const response = await api('POST', `/v1/courses/${courseId}/webhooks`, stack.tokens.sensei, { url });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { detail: string; errors: Array<{ field: string }> };
    expect(problem.detail).toMatch(reason);
    expect(problem.errors[0]!.field).toBe('url');
  };

  it('refuses kadai itself, by address or by name, even where loopback is allowed', async () => {
    const port = new URL(stack.apiUrl).port;
    await refused(`http://127.0.0.1:${port}/v1/courses`, /kadai's own API/);
    await refused(`http://localhost:${port}/v1/courses`, /kadai's own API/);
  });

  it('refuses link-local and private addresses the operator has not allowed, and non-HTTP schemes', async () => {
    await refused('http://169.254.169.254/latest/meta-data', /linkLocal address/);
    await refused('http://10.20.30.40/hook', /private address/);
    await refused('http://[::1]:9/hook', /loopback address/);
    await refused('ftp://example.org/hook', /scheme ftp:/);
    await refused('file:///etc/passwd', /scheme file:/);
    await refused('not a url', /not a URL/);
  });

  it('is for the course’s instructors: a student is refused, an unknown course is 404', async () => {
    expect((await api('POST', `/v1/courses/${courseId}/webhooks`, stack.tokens.student1, { url: 'http://127.0.0.1:9/x' })).status).toBe(403);
    expect((await api('POST', '/v1/courses/no-such-course/webhooks', stack.tokens.admin, { url: 'http://127.0.0.1:9/x' })).status).toBe(404);
    const bad = await api('POST', `/v1/courses/${courseId}/webhooks`, stack.tokens.sensei, { url: 'http://127.0.0.1:9/x', events: ['submission.deleted'] });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('events.0');
  });
});
