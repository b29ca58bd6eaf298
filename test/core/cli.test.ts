import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startStack, type Stack } from '../support/stack';
import { runKadai } from '../support/cli';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('cli', { redisDb: 5 });
}, 240_000); // starting an api or a worker takes a minute or more on 2 loaded cores
afterAll(() => stack?.stop());

const kadai = (args: string[], env: Record<string, string> = {}) => runKadai(stack.apiUrl, args, env);

describe('kadai CLI', () => {
  it('submits a folder, prints each check and exits 0 only on full marks', () => {
    const full = kadai(['submit', 'quiz-ch01', 'labs/quiz-ch01/solution'], { KADAI_TOKEN: stack.tokens.student1 });
    expect(full.code).toBe(0);
    expect(full.out).toMatch(/state graded/);
    expect(full.out).toMatch(/score 8 \/ 8/);

    const wrong = path.join('labs/quiz-ch01/wrong', readdirFirst('labs/quiz-ch01/wrong'));
    const partial = kadai(['submit', 'quiz-ch01', wrong], { KADAI_TOKEN: stack.tokens.sensei });
    expect(partial.code).toBe(1);
    expect(partial.out).toMatch(/FAIL {2}q\d/);
  });

  it('shows a submission by id, and says plainly when no token is given', () => {
    const submitted = kadai(['submit', '--no-wait', 'quiz-ch02', 'labs/quiz-ch02/solution'], { KADAI_TOKEN: stack.tokens.student2 });
    const id = /submitted ([0-9a-f-]{36})/.exec(submitted.out)![1]!;
    const status = kadai(['status', id], { KADAI_TOKEN: stack.tokens.student2 });
    expect(status.out).toContain(`submission ${id}`);
    const anonymous = kadai(['status', id], { KADAI_TOKEN: '' });
    expect(anonymous.code).toBe(2);
    expect(anonymous.err).toContain('no token');
  });

  it('validates labs and prints each problem as file:line:col: message', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kadai-labs-'));
    cpSync(path.join(REPO_ROOT, 'labs/quiz-ch01'), path.join(dir, 'quiz-ch01'), { recursive: true });
    const file = path.join(dir, 'quiz-ch01/lab.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^timeLimitSeconds: \d+$/m, 'timeLimitSeconds: soon'));
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('timeLimitSeconds')) + 1;
    const result = kadai(['labs', 'validate', dir]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`${file}:${line}:19: timeLimitSeconds: Invalid input: expected number, received string`);
    expect(kadai(['labs', 'validate']).out).toMatch(/^\d+ lab\(s\) valid, 0 problem\(s\)$/m);
  });

  it("validates a docker lab's check types with their position in lab.yaml", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kadai-labs-'));
    cpSync(path.join(REPO_ROOT, 'labs/docker-run-nginx'), path.join(dir, 'docker-run-nginx'), { recursive: true });
    const file = path.join(dir, 'docker-run-nginx/lab.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/type: http$/m, 'type: htttp'));
    const line = text.split('\n').findIndex((l) => /type: http$/.test(l)) + 1;
    const result = kadai(['labs', 'validate', dir]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(new RegExp(`lab\\.yaml:${line}:\\d+: unknown check type "htttp"`));
  });

  it('runs a lab self-test through the API', () => {
    const result = kadai(['labs', 'test', 'quiz-ch03'], { KADAI_TOKEN: stack.tokens.sensei });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^\d+ passed, 0 failed$/m);
  });
});

function readdirFirst(dir: string): string {
  return readdirSync(path.join(REPO_ROOT, dir)).sort()[0]!;
}
