import { tgzOf, zipOf } from '@kadai/intake/src/fixtures';
import { solutionAnswers, startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('bad_input', { redisDb: 2 });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const submissionCount = async () => (await stack.sql<{ n: number }>('SELECT count(*)::int AS n FROM submissions'))[0]!.n;

async function post(body: RequestInit["body"], headers: Record<string, string>, token = stack.tokens.student1) {
  const response = await fetch(`${stack.apiUrl}/v1/submissions`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, ...headers } });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', problem: text ? JSON.parse(text) : {} };
}
const postJson = (body: unknown, token?: string) => post(JSON.stringify(body), { 'content-type': 'application/json' }, token);
function postArchive(archive: Buffer, lab = 'quiz-ch01') {
  const form = new FormData();
  form.set('lab', lab);
  form.set('archive', new Blob([archive]), 'work.zip');
  return post(form, {});
}

// Every case below must be refused with a specific problem and leave no submission behind.
let before: number;
beforeEach(async () => {
  before = await submissionCount();
});
afterEach(async () => {
  expect(await submissionCount()).toBe(before);
});

describe('bad input is refused with a clear problem and leaves nothing behind', () => {
  it('401 without a token or with a wrong one', async () => {
    const none = await fetch(`${stack.apiUrl}/v1/labs`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    const wrong = await postJson({ lab: 'quiz-ch01', answers: {} }, 'kadai_not-a-token');
    expect(wrong).toMatchObject({ status: 401, problem: { detail: 'invalid, expired or revoked token' } });
  });

  it('403 for a role that may not submit', async () => {
    const lms = await postJson({ lab: 'quiz-ch01', answers: solutionAnswers('quiz-ch01') }, stack.tokens.lms);
    expect(lms.status).toBe(403);
  });

  it('404 for an unknown lab', async () => {
    const result = await postJson({ lab: 'no-such-lab', answers: { q1: ['1'] } });
    expect(result).toMatchObject({ status: 404, problem: { errors: [{ field: 'lab', message: 'unknown lab "no-such-lab"' }] } });
  });

  it('400 for malformed JSON and 422 for a body that is not a submission', async () => {
    expect((await post('{"lab": ', { 'content-type': 'application/json' })).status).toBe(400);
    const both = await postJson({ lab: 'quiz-ch01', answers: {}, files: {} });
    expect(both).toMatchObject({ status: 422, problem: { errors: [{ message: 'give exactly one of "files" or "answers"' }] } });
  });

  it('422 for answers to questions or choices that do not exist', async () => {
    const result = await postJson({ lab: 'quiz-ch01', answers: { q99: ['1'], q1: ['9'] } });
    expect(result.status).toBe(422);
    expect(result.problem.errors.map((e: { text: string }) => e.text)).toEqual([
      'answers.json: question "q99" does not exist in quiz-ch01 (answers.q99)',
      'answers.json: question "q1" has no choice "9" (answers.q1)',
    ]);
  });

  it('422 for malformed multipart', async () => {
    const result = await post('--xyz\r\nContent-Disposition: form-data; name="lab"\r\n\r\nquiz-ch01', { 'content-type': 'multipart/form-data; boundary=xyz' });
    expect(result.status).toBe(422);
    expect(result.problem.detail).toMatch(/malformed multipart/);
  });

  it('422 for archive entries that climb out with .. or are absolute, naming the entry', async () => {
    const climbing = await postArchive(await tgzOf([{ name: '../../etc/passwd', data: 'x' }]));
    expect(climbing.status).toBe(422);
    expect(JSON.stringify(climbing.problem)).toContain('../../etc/passwd');
    const absolute = await postArchive(await tgzOf([{ name: '/etc/passwd', data: 'x' }]));
    expect(absolute.status).toBe(422);
    expect(JSON.stringify(absolute.problem)).toContain('/etc/passwd');
  });

  it('422 for a symlink leading out of the archive', async () => {
    const result = await postArchive(await tgzOf([{ name: 'answers.json', type: 'symlink', linkname: '/etc/shadow' }]));
    expect(result.status).toBe(422);
    expect(JSON.stringify(result.problem)).toMatch(/link/);
  });

  it('413 for a decompression bomb, stopped at the limit', async () => {
    const bomb = await zipOf([{ name: 'answers.json', data: Buffer.alloc(64 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const result = await postArchive(bomb);
    expect(result.status).toBe(413);
  });

  it('413 for an upload over the size limit', async () => {
    const result = await postArchive(Buffer.alloc(11 * 1024 * 1024, 1));
    expect(result.status).toBe(413);
  });

  it('422 for binary content where text is expected', async () => {
    const result = await postArchive(await tgzOf([{ name: 'answers.json', data: Buffer.from([0x7b, 0x00, 0xff, 0xfe]) }]));
    expect(result.status).toBe(422);
    expect(JSON.stringify(result.problem)).toContain('answers.json');
  });

  it('422 for YAML syntax errors, with file:line:col', async () => {
    const result = await postJson({ lab: 'quiz-ch01', files: { 'answers.json': JSON.stringify({ answers: {} }), 'notes.yaml': 'a: 1\nb: [unclosed\n' } });
    expect(result.status).toBe(422);
    expect(result.problem.errors[0]).toMatchObject({ file: 'notes.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(result.problem.errors[0].text).toMatch(/^notes\.yaml:\d+:\d+: /);
  });

  it('409 past the deadline (policy reject) and when out of attempts', async () => {
    await stack.sql(`UPDATE assignments SET due_at = now() - interval '1 day', late_policy = '{"mode":"reject"}' WHERE lab_id = 'quiz-ch09'`);
    const late = await postJson({ lab: 'quiz-ch09', answers: solutionAnswers('quiz-ch09') });
    expect(late).toMatchObject({ status: 409, problem: { detail: expect.stringMatching(/deadline .* has passed/) } });

    await stack.sql(`UPDATE assignments SET max_attempts = 1 WHERE lab_id = 'quiz-ch10'`);
    const first = await postJson({ lab: 'quiz-ch10', answers: solutionAnswers('quiz-ch10') });
    expect(first.status).toBe(202);
    before += 1; // the first attempt is real and stays
    const second = await postJson({ lab: 'quiz-ch10', answers: solutionAnswers('quiz-ch10') });
    expect(second).toMatchObject({ status: 409, problem: { detail: 'no attempts left: this assignment allows 1' } });
  });
});
