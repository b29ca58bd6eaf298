import type { SubmissionView } from '@kadai/client';
import { renderResult } from './render';

const notice = { ja: 'kadai 側の問題で採点できませんでした。', en: "kadai could not grade this because of a problem on kadai's side." };
const base: SubmissionView = {
  ...{ id: 's1', lab: 'quiz-ch01', labKind: 'quiz', labVersion: 'v1', gradedLabVersion: null, lateFactor: 1, submittedAt: '2026-12-01T00:00:00Z', finishedAt: null },
  ...{ state: 'error', attempt: 1, gradingRun: 1, gradedRun: null, score: null, maxScore: null, error: notice.en, notice, rejection: null, checks: [] },
};

describe('renderResult', () => {
  it("prints kadai's failure in the reader's language, and the detail only when the view holds one (instructors)", () => {
    expect(renderResult(base, 'ja', false)).toBe(`submission s1  lab quiz-ch01  attempt 1  state error\n${notice.ja}`);
    expect(renderResult({ ...base, error: 'docker engine: connect ECONNREFUSED' }, 'en', false)).toBe(
      `submission s1  lab quiz-ch01  attempt 1  state error\n${notice.en}\ndetail: docker engine: connect ECONNREFUSED`,
    );
  });
  it('prints the grade a failed regrade kept, after the notice', () => {
    const kept = { ...base, gradingRun: 2, gradedRun: 1, score: 1, maxScore: 1, notice: { ja: '以前の採点結果がそのまま有効です。', en: 'Your previous grade stands.' } };
    const check = { checkId: 'q1', title: { ja: '問題 q1', en: 'Question q1' }, released: true, visibility: 'visible' as const, status: 'pass' as const, points: 1, maxPoints: 1, message: { ja: '正解です。', en: 'Correct.' } };
    expect(renderResult({ ...kept, checks: [check] }, 'en', false).split('\n')).toEqual([
      'submission s1  lab quiz-ch01  attempt 1  state error',
      'Your previous grade stands.',
      '  PASS  q1         1/1  Question q1: Correct.',
      'score 1 / 1',
    ]);
  });
});
