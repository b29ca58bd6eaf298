import type { Lab, QuizLabDefinition } from '@kadai/catalog';
import { RejectedInputError } from '@kadai/errors';
import pino from 'pino';
import { quizGrader } from './grader';
import { scoreQuestion } from './score';

const t = (s: string) => ({ ja: s, en: s });
const quiz: QuizLabDefinition = {
  id: 'quiz-test',
  kind: 'quiz',
  chapter: 1,
  title: t('Quiz'),
  instructions: t('Answer'),
  timeLimitSeconds: 30,
  visibility: 'visible',
  submission: { maxBytes: 1000, files: [{ path: 'answers.json' }] },
  questions: [
    { id: 'q1', type: 'single', points: 1, scoring: 'exact', prompt: t('?'), choices: [{ id: '1', text: t('a') }, { id: '2', text: t('b') }], answer: ['2'], explanation: t('because') },
    { id: 'q2', type: 'multiple', points: 2, scoring: 'partial', prompt: t('?'), choices: ['1', '2', '3', '4'].map((id) => ({ id, text: t(id) })), answer: ['1', '3'], explanation: t('because') },
  ],
};
const lab: Lab = { definition: quiz, dir: '/nowhere', version: 'v1', files: new Map() };
const files = (answers: unknown) => new Map([['answers.json', Buffer.from(JSON.stringify({ answers }))]]);
const ctx = { signal: new AbortController().signal, log: pino({ level: 'silent' }), token: 1 };

describe('scoreQuestion', () => {
  const [single, multiple] = quiz.questions as [QuizLabDefinition['questions'][0], QuizLabDefinition['questions'][0]];
  it('gives all or nothing for exact scoring', () => {
    expect(scoreQuestion(single, ['2'])).toBe(1);
    expect(scoreQuestion(single, ['1'])).toBe(0);
  });
  it('gives partial credit and takes a share back per wrong pick', () => {
    expect(scoreQuestion(multiple, ['1', '3'])).toBe(2);
    expect(scoreQuestion(multiple, ['1'])).toBe(1);
    expect(scoreQuestion(multiple, ['1', '2'])).toBe(0);
    expect(scoreQuestion(multiple, ['1', '2', '3', '4'])).toBe(0);
  });
});

describe('quizGrader', () => {
  it('scores each question as a check, unanswered ones failing', async () => {
    const results = await quizGrader.grade(lab, { submissionId: 's', files: files({ q1: '2' }) }, ctx);
    expect(results.map((r) => [r.checkId, r.status, r.points])).toEqual([
      ['q1', 'pass', 1],
      ['q2', 'fail', 0],
    ]);
    expect(results[1]?.message.en).toMatch(/^Not answered/);
  });

  it('keeps the key out of the evidence: only what was selected', async () => {
    const results = await quizGrader.grade(lab, { submissionId: 's', files: files({ q1: '1', q2: '1' }) }, ctx);
    expect(results.map((r) => r.evidence)).toEqual(['selected: 1', 'selected: 1']);
  });

  it('rejects answers to questions and choices that do not exist, naming each', () => {
    let error: unknown;
    try {
      quizGrader.validate(lab, files({ q9: ['1'], q2: ['7'], q1: ['1', '2'] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RejectedInputError);
    const messages = (error as RejectedInputError).issues.map((i) => `${i.field}: ${i.message}`);
    expect(messages).toEqual([
      'answers.q9: question "q9" does not exist in quiz-test',
      'answers.q2: question "q2" has no choice "7"',
      'answers.q1: question "q1" takes exactly one choice, got 2',
    ]);
  });

  it('rejects a missing or malformed answers file', () => {
    expect(() => quizGrader.validate(lab, new Map())).toThrow('answers.json is missing');
    expect(() => quizGrader.validate(lab, new Map([['answers.json', Buffer.from('{oops')]]))).toThrow('not valid JSON');
  });
});
