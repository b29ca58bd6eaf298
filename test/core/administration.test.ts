import { solutionAnswers, startStack, type Stack } from '../support/stack';
import { until } from '../support/until';

// Administration through the real api (and worker), PostgreSQL and Redis: courses, users,
// enrolments, roster import, assignments, extensions and tokens, with roles enforced.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('administration', { redisDb: 2, workers: 1, apiEnv: { KADAI_LOOKUP_CACHE_MS: '0' } });
}, 240_000);
afterAll(() => stack?.stop());

type Json = Record<string, any>;
const call = async (method: string, url: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
  const csv = typeof body === 'string';
  const response = await fetch(`${stack.apiUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': csv ? 'text/csv' : 'application/json', ...headers },
    ...(body === undefined ? {} : { body: csv ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as Json };
};
const admin = () => stack.tokens.admin;
const DAY = 24 * 3600_000;
const count = async (sql: string, params: unknown[] = []) => Number((await stack.sql<{ n: string }>(sql, params))[0]!.n);

let profToken: string;
describe('an admin sets up a course and its instructor', () => {
  it('creates the course, the instructor, enrols them and issues their token', async () => {
    expect((await call('POST', '/v1/courses', admin(), { id: 'k8s-2027', title: 'Kubernetes 2027 <b>spring</b>' })).status).toBe(201);
    expect((await call('POST', '/v1/courses', admin(), { id: 'k8s-2027', title: 'again' })).status).toBe(409);
    expect((await call('POST', '/v1/courses', admin(), { id: 'Bad Id!', title: 'x' })).body.errors[0].field).toBe('id');
    expect((await call('POST', '/v1/users', admin(), { login: 'prof', displayName: 'Prof. Tanaka', role: 'instructor' })).status).toBe(201);
    expect((await call('PUT', '/v1/courses/k8s-2027/enrollments/prof', admin(), { role: 'instructor' })).status).toBe(200);
    const issued = await call('POST', '/v1/users/prof/tokens', admin(), { label: 'laptop' });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ login: 'prof', label: 'laptop', token: expect.stringMatching(/^kadai_/) });
    profToken = issued.body.token;
    const courses = await call('GET', '/v1/courses', profToken);
    expect(courses.body.courses).toEqual([expect.objectContaining({ id: 'k8s-2027', myRole: 'instructor', title: 'Kubernetes 2027 <b>spring</b>' })]);
  });

  it('keeps students and instructors of other courses out', async () => {
    expect((await call('POST', '/v1/courses', stack.tokens.sensei, { id: 'mine', title: 'x' })).status).toBe(403);
    expect((await call('GET', '/v1/courses/k8s-2027/enrollments', stack.tokens.sensei)).status).toBe(403);
    expect((await call('GET', '/v1/courses/k8s-2027/enrollments', stack.tokens.student1)).status).toBe(403);
    expect((await call('POST', '/v1/users', stack.tokens.lms, { login: 'root2', displayName: 'x', role: 'admin' })).status).toBe(403);
    expect((await call('POST', '/v1/users/prof/tokens', stack.tokens.student1, {})).status).toBe(403);
    expect((await call('GET', '/v1/courses/nope/assignments', admin())).status).toBe(404);
  });
});

describe('a roster imported from CSV', () => {
  it('reports every bad row by line and imports nothing', async () => {
    const before = await count('SELECT count(*) AS n FROM users');
    const csv = 'login,name,role\r\ns001,Aoki,student\r\ns 002,Baba,student\r\ns003,,student\r\ns004,Chiba,teacher\r\ns001,Aoki again,student\r\n';
    const response = await call('POST', '/v1/courses/k8s-2027/roster', profToken, csv);
    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: Json) => e.text)).toEqual([
      expect.stringMatching(/^roster\.csv:3: .*login/),
      expect.stringMatching(/^roster\.csv:4: a name is required \(name\)/),
      expect.stringMatching(/^roster\.csv:5: role is student or instructor \(role\)/),
      expect.stringMatching(/^roster\.csv:6: s001 is already on line 2 \(login\)/),
    ]);
    expect(await count('SELECT count(*) AS n FROM users')).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM enrollments WHERE course_id = 'k8s-2027'`)).toBe(1);
  });

  it('is one transaction: a row failing in the database (injected) leaves nothing of the import', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => `bulk${String(i).padStart(3, '0')},Student ${i},student`).join('\n');
    await stack.sql(`CREATE FUNCTION test_refuse_login() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.login = 'bulk299' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await stack.sql('CREATE TRIGGER test_refuse_login BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION test_refuse_login()');
    try {
      const failed = await call('POST', '/v1/courses/k8s-2027/roster', profToken, `login,name,role\n${rows(300)}\n`);
      expect(failed.status).toBe(500);
      expect(failed.body.detail).toMatch(/not applied/);
      expect(await count(`SELECT count(*) AS n FROM users WHERE login LIKE 'bulk%'`)).toBe(0);
    } finally {
      await stack.sql('DROP TRIGGER test_refuse_login ON users');
      await stack.sql('DROP FUNCTION test_refuse_login');
    }
    const response = await call('POST', '/v1/courses/k8s-2027/roster', profToken, `login,name,role\n${rows(300)}\n`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ course: 'k8s-2027', usersCreated: 300, enrolled: 300 });
    expect(await count(`SELECT count(*) AS n FROM enrollments WHERE course_id = 'k8s-2027' AND role = 'student'`)).toBe(300);
  });

  it('with the same Idempotency-Key (an LMS retrying) is applied once and answered the same', async () => {
    const csv = 'name,login\n"山田, 花子",yamada\n';
    const key = { 'idempotency-key': 'roster-2027-04-01' };
    const first = await call('POST', '/v1/courses/k8s-2027/roster', stack.tokens.lms, csv, key);
    const again = await call('POST', '/v1/courses/k8s-2027/roster', stack.tokens.lms, csv, key);
    expect(first.body).toEqual({ course: 'k8s-2027', usersCreated: 1, enrolled: 1 });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await count(`SELECT count(*) AS n FROM audit_log WHERE action = 'roster-import' AND detail->>'usersCreated' = '1'`)).toBe(1);
    expect((await call('PUT', '/v1/courses/k8s-2027/enrollments/yamada', stack.tokens.lms, { role: 'student' }, key)).status).toBe(422);
  });
});

describe('assignments and per-student extensions', () => {
  let assignmentId: string;
  let studentToken: string;
  const submit = () => call('POST', '/v1/submissions', studentToken, { lab: 'quiz-ch04', answers: solutionAnswers('quiz-ch04') });

  it('creates an assignment, refusing bad settings by field', async () => {
    const bad = await call('POST', '/v1/courses/k8s-2027/assignments', profToken, { labId: 'quiz-ch04', dueAt: 'tomorrow', maxAttempts: 0 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: Json) => e.field).sort()).toEqual(['dueAt', 'maxAttempts']);
    expect((await call('POST', '/v1/courses/k8s-2027/assignments', profToken, { labId: 'no-such-lab' })).status).toBe(422);
    const created = await call('POST', '/v1/courses/k8s-2027/assignments', profToken, { labId: 'quiz-ch04', opensAt: new Date(Date.now() - 2 * DAY).toISOString(), dueAt: new Date(Date.now() - DAY).toISOString(), maxAttempts: 1 });
    expect(created.status).toBe(201);
    assignmentId = created.body.id;
    studentToken = (await call('POST', '/v1/users/bulk007/tokens', admin(), { label: 'test' })).body.token;
  });

  it('a student past the due date is refused; with an extension the submission is accepted', async () => {
    expect((await submit()).status).toBe(409);
    const ext = await call('PUT', `/v1/assignments/${assignmentId}/extensions/bulk007`, profToken, { dueAt: new Date(Date.now() + DAY).toISOString(), reason: 'illness' });
    expect(ext.status).toBe(200);
    expect(ext.body).toMatchObject({ login: 'bulk007', extraAttempts: 0, reason: 'illness' });
    const accepted = await submit();
    expect(accepted.status).toBe(202);
    // one attempt allowed: the second is refused until the extension gives one more
    expect((await submit()).status).toBe(409);
    await call('PUT', `/v1/assignments/${assignmentId}/extensions/bulk007`, profToken, { dueAt: new Date(Date.now() + DAY).toISOString(), extraAttempts: 1, reason: 'illness' });
    expect((await submit()).status).toBe(202);
    expect((await submit()).status).toBe(409);
    // others in the course are still past the deadline
    const other = (await call('POST', '/v1/users/bulk008/tokens', admin(), {})).body.token;
    expect((await call('POST', '/v1/submissions', other, { lab: 'quiz-ch04', answers: solutionAnswers('quiz-ch04') })).status).toBe(409);
    expect((await call('GET', `/v1/assignments/${assignmentId}/extensions`, profToken)).body.extensions).toHaveLength(1);
  });

  it('changes settings with PATCH, keeping what is not named', async () => {
    const patched = await call('PATCH', `/v1/assignments/${assignmentId}`, profToken, { maxAttempts: 5, scoring: 'last' });
    expect(patched.body).toMatchObject({ maxAttempts: 5, scoring: 'last', labId: 'quiz-ch04' });
    expect(Date.parse(patched.body.dueAt)).toBeLessThan(Date.now());
    expect((await call('PATCH', `/v1/assignments/${assignmentId}`, profToken, { scoring: 'worst' })).body.errors[0].field).toBe('scoring');
    expect((await call('PATCH', `/v1/assignments/${assignmentId}`, stack.tokens.sensei, { maxAttempts: 9 })).status).toBe(403);
  });

  it("sets a check's visibility for the assignment over the lab's: one question hidden, one shown before the due date", async () => {
    // quiz-ch04 holds every question back until the due date (after_due); bulk007's extension moves theirs to tomorrow
    const unknown = await call('PATCH', `/v1/assignments/${assignmentId}`, profToken, { checkVisibility: { q1: 'hidden', q9: 'visible' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.map((e: Json) => e.field)).toEqual(['checkVisibility.q9']);
    const patched = await call('PATCH', `/v1/assignments/${assignmentId}`, profToken, { checkVisibility: { q1: 'hidden', q2: 'visible' } });
    expect(patched.body).toMatchObject({ checkVisibility: { q1: 'hidden', q2: 'visible' }, scoring: 'last', maxAttempts: 5 });
    const [row] = await stack.sql<{ id: string }>(`SELECT s.id FROM submissions s JOIN users u ON u.id = s.user_id WHERE u.login = 'bulk007' ORDER BY s.submitted_at LIMIT 1`);
    const view = async (token: string) => (await call('GET', `/v1/submissions/${row!.id}`, token)).body;
    const graded = await until('bulk007 graded', async () => ((await view(studentToken)).state === 'graded' ? view(studentToken) : undefined), 60_000);
    const shown = (v: Json) => Object.fromEntries(v.checks.map((c: Json) => [c.checkId, `${c.visibility}:${c.released}`]));
    expect(shown(graded)).toEqual({ q1: 'hidden:false', q2: 'visible:true', q3: 'after_due:false', q4: 'after_due:false', q5: 'after_due:false', q6: 'after_due:false' });
    expect((await view(profToken)).checks.every((c: Json) => c.released)).toBe(true);
    // waits up to 60 s for the grading: above the suite's 30 s default
  }, 90_000);
});

describe('tokens', () => {
  it('are listed without their secret, rotated (the old one stops at once) and revoked', async () => {
    const mine = await call('POST', '/v1/users/prof/tokens', profToken, { label: 'ci', expiresAt: new Date(Date.now() + DAY).toISOString() });
    expect(mine.status).toBe(201);
    const listed = await call('GET', '/v1/tokens', profToken);
    expect(listed.body.tokens.map((t: Json) => t.label).sort()).toEqual(['ci', 'laptop']);
    expect(JSON.stringify(listed.body)).not.toContain('kadai_');
    const rotated = await call('POST', `/v1/tokens/${mine.body.id}/rotate`, profToken);
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ label: 'ci', expiresAt: mine.body.expiresAt });
    expect((await call('GET', '/v1/me', mine.body.token)).status).toBe(401);
    expect((await call('GET', '/v1/me', rotated.body.token)).body).toMatchObject({ login: 'prof', role: 'instructor' });
    // nobody else's tokens: a student sees only theirs, and cannot revoke prof's
    expect((await call('DELETE', `/v1/tokens/${rotated.body.id}`, stack.tokens.student1)).status).toBe(404);
    expect((await call('DELETE', `/v1/tokens/${rotated.body.id}`, profToken)).status).toBe(204);
    expect((await call('GET', '/v1/me', rotated.body.token)).status).toBe(401);
    expect((await call('POST', `/v1/tokens/${rotated.body.id}/rotate`, profToken)).status).toBe(409);
    expect((await call('POST', '/v1/users/prof/tokens', profToken, { expiresAt: '2020-01-01T00:00:00Z' })).status).toBe(422);
  });
});
