import { show } from './outcome';

/** One place where the actual object differs from the expected one. */
export interface Mismatch {
  /** Where, as a path: `spec.template.spec.containers[0].image`. */
  path: string;
  expected: unknown;
  /** undefined when the field is missing. */
  actual: unknown;
}

export interface MatchResult {
  ok: boolean;
  mismatches: Mismatch[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string) => (/^[A-Za-z_$][\w$-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`);

/**
 * Whether `actual` contains `expected` (the way an assertion on a Kubernetes object reads): every
 * field of an expected object must be in the actual one and match (extra actual fields are fine);
 * arrays must have the same length and match element by element, in order; anything else must be
 * equal (===, so 3 and "3" differ). Every mismatch is listed, not only the first.
 */
export function matchPartial(expected: unknown, actual: unknown, path = ''): MatchResult {
  const mismatches: Mismatch[] = [];
  walk(expected, actual, path, mismatches);
  return { ok: mismatches.length === 0, mismatches };
}

function walk(expected: unknown, actual: unknown, path: string, out: Mismatch[]): void {
  if (isObject(expected)) {
    if (!isObject(actual)) {
      out.push({ path: path || '(root)', expected, actual });
      return;
    }
    for (const [key, value] of Object.entries(expected)) walk(value, actual[key], join(path, key), out);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      out.push({ path: path || '(root)', expected, actual });
      return;
    }
    expected.forEach((item, i) => walk(item, actual[i], `${path}[${i}]`, out));
    return;
  }
  if (expected !== actual) out.push({ path: path || '(root)', expected, actual });
}

/** The mismatches as evidence lines, `✗ path: expected …, actual …` (missing fields say so). */
export function formatMismatches(result: MatchResult): string {
  return result.mismatches.map((m) => `✗ ${m.path}: expected ${show(m.expected)}, actual ${m.actual === undefined ? '(missing)' : show(m.actual)}`).join('\n');
}
