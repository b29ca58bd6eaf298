import type { QuizLabDefinition } from '@kadai/catalog';
import { RejectedInputError, type InputIssue } from '@kadai/errors';
import { z } from 'zod';

export const ANSWERS_FILE = 'answers.json';

const answersFile = z.strictObject({
  answers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
});

/** Question id → the choice ids picked. */
export type Answers = Map<string, string[]>;

/**
 * Reads and validates `answers.json` against the quiz: answering a question or picking a choice that
 * does not exist rejects the whole submission (no attempt used), naming every such answer at once.
 */
export function parseAnswers(lab: QuizLabDefinition, files: Map<string, Buffer>): Answers {
  const raw = files.get(ANSWERS_FILE);
  if (!raw) throw new RejectedInputError(`${ANSWERS_FILE} is missing`, [{ file: ANSWERS_FILE, message: 'the quiz answers file is missing' }]);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new RejectedInputError(`${ANSWERS_FILE} is not valid JSON`, [{ file: ANSWERS_FILE, message: (error as Error).message }]);
  }
  const parsed = answersFile.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ file: ANSWERS_FILE, field: i.path.join('.'), message: i.message }));
    throw new RejectedInputError(`${ANSWERS_FILE} does not match {"answers": {"q1": ["2"]}}`, issues);
  }

  const questions = new Map(lab.questions.map((q) => [q.id, q]));
  const issues: InputIssue[] = [];
  const answers: Answers = new Map();
  for (const [questionId, picked] of Object.entries(parsed.data.answers)) {
    const field = `answers.${questionId}`;
    const question = questions.get(questionId);
    if (!question) {
      issues.push({ file: ANSWERS_FILE, field, message: `question "${questionId}" does not exist in ${lab.id}` });
      continue;
    }
    const choices = [...new Set(Array.isArray(picked) ? picked : [picked])];
    const known = new Set(question.choices.map((c) => c.id));
    for (const choice of choices.filter((c) => !known.has(c))) {
      issues.push({ file: ANSWERS_FILE, field, message: `question "${questionId}" has no choice "${choice}"` });
    }
    if (question.type === 'single' && choices.length > 1) {
      issues.push({ file: ANSWERS_FILE, field, message: `question "${questionId}" takes exactly one choice, got ${choices.length}` });
    }
    answers.set(questionId, choices);
  }
  if (issues.length > 0) throw new RejectedInputError(`${issues.length} invalid answer(s) in ${ANSWERS_FILE}`, issues);
  return answers;
}
