export { quizGrader } from './grader';
export { parseAnswers, ANSWERS_FILE } from './answers';
export type { Answers } from './answers';
export { scoreQuestion } from './score';
