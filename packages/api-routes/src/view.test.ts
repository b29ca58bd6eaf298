import type { Assignment, Principal, Submission } from '@kadai/db';
import type { CheckResult } from '@kadai/grading';
import { toCsv } from './routes/courses';
import { submissionView } from './view';

const submission = { id: 'id', labId: 'lab', labKind: 'quiz', state: 'graded', attempt: 1, gradingRun: 1, gradedRun: 1, score: 1, maxScore: 3, lateFactor: 1, labVersion: 'v', gradedLabVersion: 'v', errorMessage: null, rejection: null, submittedAt: new Date(0), finishedAt: null } as unknown as Submission;
const check = (checkId: string, visibility: CheckResult['visibility']): CheckResult => ({ checkId, title: { ja: checkId, en: checkId }, points: 1, maxPoints: 1, status: 'pass', message: { ja: 'ok', en: 'ok' }, evidence: 'e', visibility });
const results = [check('shown', 'visible'), check('secret', 'hidden'), check('later', 'after_due')];
const student: Principal = { userId: 'u', login: 's', role: 'student' };
const teacher: Principal = { userId: 't', login: 't', role: 'instructor' };
const assignment = (dueAt: Date | null, visibility: Assignment['visibility'] = null, checkVisibility: Assignment['checkVisibility'] = {}) => ({ dueAt, visibility, checkVisibility }) as Assignment;
const released = (view: ReturnType<typeof submissionView>) => view.checks.filter((c) => c.released).map((c) => c.checkId);

describe('submissionView', () => {
  const now = new Date('2026-06-01');
  it('releases to a student visible checks, and after_due ones only once the due date passed', () => {
    expect(released(submissionView(submission, results, assignment(new Date('2026-07-01')), student, now))).toEqual(['shown']);
    expect(released(submissionView(submission, results, assignment(new Date('2026-05-01')), student, now))).toEqual(['shown', 'later']);
  });
  it('strips the message and evidence of unreleased checks', () => {
    const view = submissionView(submission, results, assignment(new Date('2026-07-01')), student, now);
    expect(view.checks[1]).toEqual({ checkId: 'secret', title: { ja: 'secret', en: 'secret' }, visibility: 'hidden', released: false });
  });
  it('never releases after_due at once to a student: practice work (no assignment, or no due date) keeps it hidden', () => {
    expect(released(submissionView(submission, results, undefined, student, now))).toEqual(['shown']);
    expect(released(submissionView(submission, results, assignment(null), student, now))).toEqual(['shown']);
  });
  it("tells a student about kadai's own failure in their words, and keeps the detail for instructors", () => {
    const failed = { ...submission, state: 'error', gradedRun: null, score: null, errorMessage: 'docker engine: connect ECONNREFUSED /var/run/docker.sock' } as Submission;
    const mine = submissionView(failed, [], undefined, student, now);
    expect(mine.error).not.toMatch(/docker|ECONNREFUSED/);
    expect(mine.notice?.en).toMatch(/does not count as an attempt/);
    expect(mine.notice?.ja).toMatch(/試行回数に数えられません/);
    expect(submissionView(failed, [], undefined, teacher, now).error).toBe(failed.errorMessage);
    const regradeFailed = { ...failed, gradedRun: 1, score: 1 } as Submission;
    expect(submissionView(regradeFailed, [], undefined, student, now).notice?.en).toMatch(/previous grade stands/);
    // a retry in progress carries the last failure's detail: not for students either
    expect(submissionView({ ...failed, state: 'queued' } as Submission, [], undefined, student, now).error).toBeNull();
  });
  it('shows a student why their input was rejected', () => {
    const rejected = { ...submission, state: 'rejected', gradedRun: null, errorMessage: 'compose.yaml asks for privileged mode' } as Submission;
    expect(submissionView(rejected, [], undefined, student, now)).toMatchObject({ error: 'compose.yaml asks for privileged mode', notice: null });
  });
  it('shows everything to instructors, and honours an assignment override', () => {
    expect(released(submissionView(submission, results, assignment(null), teacher, now))).toEqual(['shown', 'secret', 'later']);
    expect(released(submissionView(submission, results, assignment(new Date('2026-07-01'), 'visible'), student, now))).toEqual(['shown', 'secret', 'later']);
  });
  it('honours an assignment setting per check over its setting for every check and the lab', () => {
    const perCheck = assignment(new Date('2026-07-01'), 'visible', { shown: 'hidden', later: 'after_due' });
    expect(released(submissionView(submission, results, perCheck, student, now))).toEqual(['secret']);
    expect(submissionView(submission, results, perCheck, student, now).checks.map((c) => c.visibility)).toEqual(['hidden', 'visible', 'after_due']);
    expect(released(submissionView(submission, results, perCheck, teacher, now))).toEqual(['shown', 'secret', 'later']);
  });
});

describe('toCsv', () => {
  it('quotes separators and defuses spreadsheet formulas', () => {
    const csv = toCsv([{ login: '=cmd()', displayName: 'Doe, "J"', assignmentId: 'a', labId: 'l', scoring: 'best', submissionId: null, attempts: 0, score: null, maxScore: null, state: null, submittedAt: null, late: false }]);
    expect(csv.split('\r\n')[1]).toBe(`'=cmd(),"Doe, ""J""",l,a,best,0,,,,false,,`);
  });
  it('starts with a byte-order mark so spreadsheet tools in Japanese locales read it as UTF-8', () => {
    expect(toCsv([]).startsWith('\uFEFFlogin,')).toBe(true);
  });
});
