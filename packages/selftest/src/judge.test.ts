import type { CheckRow, SubmissionView } from '@kadai/client';
import { judge } from './judge';

const row = (checkId: string, status: CheckRow['status'], message = ''): CheckRow => ({
  checkId,
  title: { ja: checkId, en: checkId },
  released: true,
  visibility: 'visible',
  status,
  message: { ja: message, en: message },
});

const view = (checks: CheckRow[], state: SubmissionView['state'] = 'graded'): SubmissionView => ({
  id: 's',
  lab: 'l',
  labKind: 'docker',
  labVersion: 'v1',
  gradedLabVersion: state === 'graded' ? 'v1' : null,
  lateFactor: 1,
  submittedAt: '2026-12-01T00:00:00Z',
  finishedAt: null,
  state,
  attempt: 1,
  gradingRun: 1,
  gradedRun: state === 'graded' ? 1 : null,
  notice: null,
  score: checks.filter((c) => c.status === 'pass').length,
  maxScore: checks.length,
  error: state === 'error' ? 'engine unreachable' : null,
  rejection: state === 'rejected' ? [{ file: 'Dockerfile', line: 1, column: 1, message: 'bad instruction' }] : null,
  checks,
});

const variant = (fails: string[], skipped: string[] = [], rejected = false) => ({ fails, skipped, rejected });

describe('judge (strict self-test)', () => {
  it('passes the solution only when every check passes', () => {
    expect(judge(view([row('a', 'pass'), row('b', 'pass')]), variant([]))).toEqual({ ok: true, detail: 'full marks 2/2' });
    expect(judge(view([row('a', 'pass'), row('b', 'skipped', 'Not checked')]), variant([]))).toEqual({ ok: false, detail: 'b: expected pass, got skipped (Not checked) (1/2)' });
  });

  it('passes a variant whose named checks fail and whose others pass', () => {
    expect(judge(view([row('build', 'pass'), row('port', 'fail'), row('http', 'pass')]), variant(['port'])).ok).toBe(true);
  });

  it('fails a variant whose named check was skipped instead of failed', () => {
    const verdict = judge(view([row('build', 'fail', 'the build failed'), row('port', 'skipped', 'Not checked: the image did not build.')]), variant(['port']));
    expect(verdict).toEqual({ ok: false, detail: 'build: expected pass, got fail (the build failed); port: expected fail, got skipped (Not checked: the image did not build.) (0/2)' });
  });

  it('fails a variant whose named check ended in error', () => {
    expect(judge(view([row('port', 'error', 'probe crashed')]), variant(['port'])).detail).toBe('port: expected fail, got error (probe crashed) (0/1)');
  });

  it('fails a variant whose named check passed', () => {
    expect(judge(view([row('port', 'pass')]), variant(['port'])).detail).toBe('port: expected fail, got pass (1/1)');
  });

  it('fails a variant where a check it does not name fails too', () => {
    expect(judge(view([row('port', 'fail'), row('http', 'fail', 'no answer')]), variant(['port'])).detail).toBe('http: expected pass, got fail (no answer) (0/2)');
  });

  it('accepts checks named as skipped only when they are skipped', () => {
    expect(judge(view([row('build', 'fail'), row('http', 'skipped')]), variant(['build'], ['http']))).toEqual({ ok: true, detail: 'failed build, skipped http as expected, the rest passed (0/2)' });
    expect(judge(view([row('build', 'fail'), row('http', 'fail')]), variant(['build'], ['http'])).detail).toBe('http: expected skipped, got fail (0/2)');
  });

  it('names a check the result lacks', () => {
    expect(judge(view([row('a', 'pass')]), variant(['gone'])).detail).toBe('gone: expected fail, but the result has no such check (1/1)');
  });

  it('fails a case that was not graded unless it expects a rejection', () => {
    expect(judge(view([], 'error'), variant(['a']))).toEqual({ ok: false, detail: 'ended error: engine unreachable' });
    expect(judge(view([], 'rejected'), variant(['a'])).detail).toBe('ended rejected: bad instruction');
    expect(judge(view([], 'rejected'), variant([], [], true))).toEqual({ ok: true, detail: 'rejected as expected: bad instruction' });
    expect(judge(view([row('a', 'fail')]), variant([], [], true))).toEqual({ ok: false, detail: 'expected to be rejected, but ended graded' });
  });

  it('refuses to judge checks the token cannot see', () => {
    expect(judge(view([{ ...row('a', undefined), released: false }]), variant(['a'])).detail).toBe('checks not released to this token: a (use an instructor token)');
  });
});
