import type { Lab, Question, Visibility } from '@kadai/catalog';
import { RejectedInputError } from '@kadai/errors';
import type { CheckResult, Grader } from '@kadai/grading';
import { parseAnswers } from './answers';
import { scoreQuestion } from './score';

function quizOf(lab: Lab) {
  if (lab.definition.kind !== 'quiz') throw new RejectedInputError(`${lab.definition.id} is not a quiz`);
  return lab.definition;
}

function resultFor(question: Question, picked: string[] | undefined, visibility: Visibility): CheckResult {
  const base = {
    checkId: question.id,
    title: { ja: `問題 ${question.id}`, en: `Question ${question.id}` },
    maxPoints: question.points,
    visibility: question.visibility ?? visibility,
  };
  if (!picked || picked.length === 0) {
    return {
      ...base,
      points: 0,
      status: 'fail',
      message: { ja: `未回答です。\n${question.explanation.ja}`, en: `Not answered.\n${question.explanation.en}` },
    };
  }
  const points = scoreQuestion(question, picked);
  const full = points === question.points;
  const verdict = full
    ? { ja: '正解です。', en: 'Correct.' }
    : points > 0
      ? { ja: '部分的に正解です。', en: 'Partly correct.' }
      : { ja: '不正解です。', en: 'Incorrect.' };
  return {
    ...base,
    points,
    status: full ? 'pass' : 'fail',
    message: { ja: `${verdict.ja}\n${question.explanation.ja}`, en: `${verdict.en}\n${question.explanation.en}` },
    // Only what the student picked: the key stays in the lab (instructors see it there), so no check
    // result, whatever its visibility, can hand it to a student.
    evidence: `selected: ${[...picked].sort().join(', ')}`,
  };
}

/** Grades `answers.json` against the quiz's key: one check result per question. */
export const quizGrader: Grader = {
  kind: 'quiz',
  validate(lab, files) {
    parseAnswers(quizOf(lab), files);
  },
  async grade(lab, input) {
    const quiz = quizOf(lab);
    const answers = parseAnswers(quiz, input.files);
    return quiz.questions.map((q) => resultFor(q, answers.get(q.id), quiz.visibility));
  },
};
