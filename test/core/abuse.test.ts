import { createPool, newToken, storeToken, upsertUser } from '@kadai/db';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { solutionAnswers, startStack, type Stack, type Tokens } from '../support/stack';

// The api under abuse, through the real api and worker: low limits configured here; each case
// speaks from its own client address (X-Forwarded-For, trusted from loopback) so budgets do not mix.
const UPLOAD_LIMIT = 1024 * 1024;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('abuse', {
    redisDb: 6,
    workers: 1,
    apiEnv: {
      KADAI_TRUST_PROXY: 'loopback',
      KADAI_RATE_STUDENT_SUBMISSIONS: '3',
      KADAI_RATE_STUDENT_READS: '1000',
      KADAI_RATE_STAFF_SUBMISSIONS: '8',
      KADAI_RATE_ADDRESS_SUBMISSIONS: '50',
      KADAI_RATE_ADDRESS_READS: '60',
      KADAI_RATE_ADDRESS_UNKNOWN_TOKENS: '30',
      KADAI_TOKEN_CACHE_SIZE: '4',
      // long enough that a token revoked in the database still answers from the cache during the test
      KADAI_LOOKUP_CACHE_MS: '600000',
      KADAI_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
    },
  });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

interface Call {
  token?: string;
  address: string;
  method?: string;
  body?: string;
}

async function call(path: string, { token, address, method = 'GET', body }: Call) {
  const headers: Record<string, string> = { 'x-forwarded-for': address };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(`${stack.apiUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

const submitQuiz = (who: keyof Tokens, address: string) =>
  call('/v1/submissions', { token: stack.tokens[who], address, method: 'POST', body: JSON.stringify({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') }) });

function expectTooMany(result: Awaited<ReturnType<typeof call>>, what: RegExp) {
  expect(result.status).toBe(429);
  expect(result.headers.get('content-type')).toContain('application/problem+json');
  const retryAfter = Number(result.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  expect(result.body).toMatchObject({ status: 429, title: 'Too many requests', detail: expect.stringMatching(what) });
}

describe('rate limits', () => {
  it('a student past the submission budget gets 429 + Retry-After; reads, other users and staff budgets are apart', async () => {
    const address = '198.51.100.1';
    const accepted = [];
    for (let i = 0; i < 3; i++) accepted.push(await submitQuiz('student1', address));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    expectTooMany(await submitQuiz('student1', address), /too many submissions by student1/);
    expect((await stack.sql('SELECT id FROM submissions')).length).toBe(3);

    expect((await call('/v1/labs', { token: stack.tokens.student1, address })).status).toBe(200);
    expect((await submitQuiz('student2', address)).status).toBe(202);
    const staff = [];
    for (let i = 0; i < 9; i++) staff.push((await submitQuiz('sensei', address)).status);
    expect(staff).toEqual([...Array(8).fill(202), 429]);

    // what was accepted is graded by the worker as usual
    const view = await stack.client('student1').waitForResult(accepted[0]!.body.id, 30_000);
    expect(view).toMatchObject({ state: 'graded', score: view.maxScore });
  });

  it('an address past its read budget gets 429 whatever the token; another address is not affected', async () => {
    const statuses = [];
    for (let i = 0; i < 61; i++) statuses.push((await call('/v1/labs', { token: stack.tokens.student2, address: '198.51.100.2' })).status);
    expect(statuses).toEqual([...Array(60).fill(200), 429]);
    expectTooMany(await call('/v1/labs', { token: stack.tokens.sensei, address: '198.51.100.2' }), /too many reads from 198\.51\.100\.2/);
    expect((await call('/v1/labs', { token: stack.tokens.student2, address: '198.51.100.3' })).status).toBe(200);
  });

  it('a flood of random tokens is limited per address and does not push valid tokens out of the cache', async () => {
    const address = '198.51.100.4';
    const revoke = (token: string) => stack.sql('UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1', [createHash('sha256').update(token).digest()]);
    // admin's token is looked up once (cached), then revoked in the database: it keeps working only while cached
    expect((await call('/v1/labs', { token: stack.tokens.admin, address })).status).toBe(200);
    await revoke(stack.tokens.admin);

    const random = () => `kadai_${randomBytes(24).toString('base64url')}`;
    const flood = [];
    for (let i = 0; i < 40; i++) flood.push(await call('/v1/labs', { token: random(), address }));
    expect(flood.map((r) => r.status)).toEqual([...Array(30).fill(401), ...Array(10).fill(429)]);
    expectTooMany(flood[39]!, /too many unknown tokens from 198\.51\.100\.4/);

    // 30 unknown tokens against a cache of 4: the valid one is still cached, and the blocked address may use it
    expect((await call('/v1/labs', { token: stack.tokens.admin, address })).status).toBe(200);
    // control: a revoked token that was never cached is refused, so the 200 above came from the cache
    await revoke(stack.tokens.lms);
    expect((await call('/v1/labs', { token: stack.tokens.lms, address: '198.51.100.5' })).status).toBe(401);
    // another address may still try tokens
    expect((await call('/v1/labs', { token: random(), address: '198.51.100.5' })).status).toBe(401);
  });
});

/**
 * Streams up to 256 MiB as the body and reports how much of it the client produced before the
 * server answered and closed the connection.
 */
function streamBigBody(headers: Record<string, string>): Promise<{ status: number; connection: string | undefined; sentBytes: number; body: string }> {
  const total = 256 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sentBytes = 0;
  const body = new Readable({
    read() {
      if (sentBytes >= total) return this.push(null);
      sentBytes += chunk.length;
      this.push(chunk);
    },
  });
  return new Promise((resolve, reject) => {
    let answer: { status: number; connection: string | undefined; body: string } | undefined;
    let closed = false;
    const settle = () => {
      if (answer && closed) resolve({ ...answer, sentBytes });
    };
    const req = request(`${stack.apiUrl}/v1/submissions`, { method: 'POST', headers: { 'transfer-encoding': 'chunked', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        answer = { status: res.statusCode ?? 0, connection: res.headers.connection, body: text };
        settle();
      });
      res.on('error', reject);
    });
    // the request closes when the server closes the connection; then count what was produced
    req.on('close', () => {
      closed = true;
      settle();
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // the server closing while we still write is expected (EPIPE / ECONNRESET) once the answer came
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    body.pipe(req);
  });
}

describe('a refused upload closes the connection', () => {
  /** A new student with a fresh submission budget, so each case is refused for its own reason. */
  async function freshStudent(login: string): Promise<string> {
    const db = createPool(stack.databaseUrl, 1);
    const token = newToken();
    await storeToken(db, await upsertUser(db, login, login, 'student'), token, 'abuse test');
    await db.end();
    return token;
  }
  const cases: Array<[string, number, Record<string, string>]> = [
    ['a multipart upload over the limit (413)', 413, { 'content-type': 'multipart/form-data; boundary=x' }],
    ['a JSON body over the limit (413)', 413, { 'content-type': 'application/json' }],
    ['a body of an unsupported type (415)', 415, { 'content-type': 'text/plain' }],
    ['a multipart body without a boundary (422)', 422, { 'content-type': 'multipart/form-data' }],
    ['an upload with an unknown token (401)', 401, { 'content-type': 'multipart/form-data; boundary=x', authorization: 'Bearer kadai_unknown' }],
  ];
  it.each(cases.map(([name, status, headers], i) => [name, status, headers, i] as const))('%s', async (_name, status, headers, i) => {
    const authorization = `Bearer ${await freshStudent(`uploader${i}`)}`;
    const result = await streamBigBody({ authorization, 'x-forwarded-for': `198.51.100.${20 + i}`, ...headers });
    expect(result.status).toBe(status);
    expect(result.connection).toBe('close');
    expect(JSON.parse(result.body)).toMatchObject({ status });
    // the server stopped reading: far less than the 256 MiB body was ever produced
    expect(result.sentBytes).toBeLessThan(32 * 1024 * 1024);
  });
});
