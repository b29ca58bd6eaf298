import type { Question } from '@kadai/catalog';

/**
 * Points for one question. `exact`: all or nothing. `partial`: each right pick earns a share, each
 * wrong pick takes one back, never below zero — so ticking every box earns nothing.
 */
export function scoreQuestion(question: Question, picked: readonly string[]): number {
  const correct = new Set(question.answer);
  const right = picked.filter((c) => correct.has(c)).length;
  const wrong = picked.length - right;
  if (question.scoring === 'exact') return right === correct.size && wrong === 0 ? question.points : 0;
  const share = question.points / correct.size;
  return Math.max(0, Math.round((right - wrong) * share * 100) / 100);
}
