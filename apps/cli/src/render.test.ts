import type { SubmissionView } from '@kadai/client';
import { renderLabsStatus, renderResult } from './render';

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

describe('renderLabsStatus', () => {
  it('prints each lab with its published and folder versions, withdrawn ones marked, then the problems', () => {
    const lines = renderLabsStatus({
      labs: [
        { id: 'quiz-ch01', version: 'aaaa', folderVersion: 'bbbb', withdrawnAt: null, onReload: 'update' },
        { id: 'quiz-ch02', version: 'cccc', folderVersion: null, withdrawnAt: '2026-12-02T09:00:00.000Z', onReload: 'none' },
        { id: 'quiz-ch03', version: null, folderVersion: null, withdrawnAt: null, onReload: 'refuse' },
      ],
      errors: [{ file: 'quiz-ch03/lab.yaml', line: 3, column: 10, message: 'bad', text: 'quiz-ch03/lab.yaml:3:10: bad' }],
    }).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^LAB\s+PUBLISHED\s+FOLDER\s+ON RELOAD$/);
    expect(lines[1]).toMatch(/^quiz-ch01\s+aaaa\s+bbbb\s+update$/);
    expect(lines[2]).toMatch(/^quiz-ch02\s+cccc \(withdrawn\)\s+-\s+none$/);
    expect(lines[3]).toMatch(/^quiz-ch03\s+-\s+-\s+refuse$/);
    expect(lines[4]).toBe('quiz-ch03/lab.yaml:3:10: bad');
  });
});
