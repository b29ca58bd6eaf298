export { Budget, BudgetExceeded, overrunOf, overrunMessage, type ChildBudget } from './budget';
export { defineCheck, checkIssues, commonCheckFields, type Check, type CheckType, type CheckRegistry, type PreparedCheck } from './define';
export { runChecks, type CheckStep, type RunChecksOptions } from './run';
export { pollUntil, type PollControl, type PollOptions, type PollResult, type PollVerdict } from './poll';
export { matchPartial, formatMismatches, type MatchResult, type Mismatch } from './match';
export { pass, fail, skipped, text, row, show, lastLines, type CheckOutcome } from './outcome';
