import type { Localized } from '@kadai/catalog';

/** What one check concluded, before points and visibility are attached. */
export interface CheckOutcome {
  status: 'pass' | 'fail' | 'skipped';
  message: Localized;
  evidence?: string;
}

export const text = (ja: string, en: string): Localized => ({ ja, en });

const outcome = (status: CheckOutcome['status'], ja: string, en: string, evidence?: string): CheckOutcome => ({
  status,
  message: text(ja, en),
  ...(evidence ? { evidence } : {}),
});
export const pass = (ja: string, en: string, evidence?: string) => outcome('pass', ja, en, evidence);
export const fail = (ja: string, en: string, evidence?: string) => outcome('fail', ja, en, evidence);
export const skipped = (ja: string, en: string, evidence?: string) => outcome('skipped', ja, en, evidence);

/** A row of expected vs actual for evidence: `✓ field: expected …, actual …`. */
export function row(field: string, ok: boolean, expected: unknown, actual: unknown): string {
  return `${ok ? '✓' : '✗'} ${field}: expected ${show(expected)}, actual ${show(actual)}`;
}

export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(none)';
  return JSON.stringify(value);
}

/** The last n lines of a log, trailing blank space dropped. */
export function lastLines(log: string, n = 30): string {
  return log.replace(/\s+$/, '').split('\n').slice(-n).join('\n');
}
