import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../support/stack';
import { runKadai } from '../support/cli';

// The `kadai` administration commands against a real api: --json on every command, --version, and
// exit codes (0 done, 1 refused by the API, 2 a wrong command line).

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('cli_admin', { redisDb: 5, workers: 0, apiEnv: { KADAI_LOOKUP_CACHE_MS: '0' } });
}, 240_000);
afterAll(() => stack?.stop());

const kadai = (args: string[], token: string = stack.tokens.admin) => runKadai(stack.apiUrl, args, { KADAI_TOKEN: token });

describe('kadai administration commands', () => {
  it('prints its version, and exits 2 on a wrong command line', () => {
    expect(kadai(['--version'])).toMatchObject({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    expect(kadai(['courses', 'frobnicate']).code).toBe(2);
    expect(kadai(['courses', 'create']).code).toBe(2);
    expect(kadai(['tokens', 'list', '--no-such-option']).code).toBe(2);
    expect(kadai(['courses', 'list'], '').code).toBe(2);
  });

  it('sets up a course, its roster and a token, each with --json', () => {
    const created = kadai(['--json', 'courses', 'create', 'cli-2027', 'CLI course']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ id: 'cli-2027', title: 'CLI course' });
    const dir = mkdtempSync(path.join(tmpdir(), 'kadai-roster-'));
    writeFileSync(path.join(dir, 'bad.csv'), 'login,name\nok,Ok\nbad login,X\n');
    const bad = kadai(['courses', 'import-roster', 'cli-2027', path.join(dir, 'bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('roster.csv:3:');
    writeFileSync(path.join(dir, 'good.csv'), 'login,name\nc001,Chiba\nc002,Doi\n');
    expect(JSON.parse(kadai(['courses', 'import-roster', 'cli-2027', path.join(dir, 'good.csv'), '--json']).out)).toEqual({ course: 'cli-2027', usersCreated: 2, enrolled: 2 });
    const members = kadai(['courses', 'members', 'cli-2027']);
    expect(members.out.split('\n').filter(Boolean)).toEqual(['c001\tstudent\tChiba', 'c002\tstudent\tDoi']);
    const issued = JSON.parse(kadai(['tokens', 'issue', 'c001', '--label', 'cli', '--json']).out) as { id: string; token: string };
    expect(issued.token).toMatch(/^kadai_/);
    const listed = JSON.parse(kadai(['tokens', 'list', '--json'], issued.token).out) as { tokens: Array<{ id: string }> };
    expect(listed.tokens.map((t) => t.id)).toEqual([issued.id]);
    const rotated = JSON.parse(kadai(['tokens', 'rotate', issued.id, '--json'], issued.token).out) as { token: string };
    expect(kadai(['tokens', 'list'], issued.token).code).toBe(1); // the old token stopped at once
    expect(kadai(['tokens', 'list'], rotated.token).code).toBe(0);
  });

  it('makes assignments and extensions; the API refuses by field (exit 1; with --json its problem document)', () => {
    const created = JSON.parse(kadai(['assignments', 'create', 'cli-2027', 'quiz-ch01', '--due', '2027-01-31T23:59:00+09:00', '--max-attempts', '2', '--json']).out) as { id: string; maxAttempts: number };
    expect(created.maxAttempts).toBe(2);
    const bad = kadai(['assignments', 'set', created.id, '--due', 'soon', '--json']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/dueAt/);
    // --json: the refusal is the API's problem document on stdout
    expect(JSON.parse(bad.out)).toMatchObject({ status: 422, errors: [expect.objectContaining({ field: 'dueAt' })] });
    expect(kadai(['assignments', 'extend', created.id, 'c002', '--extra-attempts', '1', '--reason', 'sick']).code).toBe(0);
    expect(kadai(['assignments', 'extensions', created.id]).out).toContain('c002\t-\t1\tsick');
  });
});
