import { RejectedInputError, type InputIssue } from '@kadai/errors';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

/** One student or instructor of a roster. */
export interface RosterRow {
  line: number;
  login: string;
  displayName: string;
  role: 'student' | 'instructor';
}

const HEADER_NAMES: Record<string, keyof Omit<RosterRow, 'line'>> = { login: 'login', name: 'displayName', display_name: 'displayName', role: 'role' };

export const login = z.string({ error: 'a login is required' }).trim().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/, 'a login is 1-100 letters, digits and . _ @ + - (starting with a letter or digit)');
const row = z.object({
  login,
  displayName: z.string({ error: 'a name is required' }).trim().min(1, 'a name is required').max(200, 'a name is at most 200 characters').refine((name) => !/\p{Cc}/u.test(name), 'a name has no control characters'),
  role: z.enum(['student', 'instructor'], { message: 'role is student or instructor' }).default('student'),
});

/**
 * Reads a roster CSV (UTF-8, BOM allowed; a header naming `login`, `name` and optionally `role`,
 * in any order). Every bad row is reported with its line; any bad row and none is imported.
 */
export function parseRoster(text: string, file = 'roster.csv'): RosterRow[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: true }) as unknown as typeof records;
  } catch (error) {
    const e = error as { message: string; lines?: number };
    throw new RejectedInputError(`${file} is not valid CSV`, [{ file, ...(e.lines ? { line: e.lines } : {}), message: e.message }]);
  }
  const [header, ...body] = records;
  if (!header) throw new RejectedInputError(`${file} is empty`, [{ file, message: 'no header line (login,name,role)' }]);
  const columns = header.record.map((name) => HEADER_NAMES[name.toLowerCase()]);
  const missing = (['login', 'displayName'] as const).filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new RejectedInputError(`${file}: the header needs login and name columns`, [{ file, line: header.info.lines, message: `header lacks ${missing.map((m) => (m === 'displayName' ? 'name' : m)).join(', ')} (expected login,name,role)` }]);
  }
  const issues: InputIssue[] = [];
  const rows: RosterRow[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of body) {
    const fields = Object.fromEntries(columns.flatMap((c, i) => (c && record[i] !== undefined && record[i] !== '' ? [[c, record[i]]] : [])));
    const parsed = row.safeParse(fields);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ file, line: info.lines, field: String(issue.path[0] === 'displayName' ? 'name' : issue.path[0]), message: issue.message });
      continue;
    }
    const earlier = seen.get(parsed.data.login);
    if (earlier !== undefined) {
      issues.push({ file, line: info.lines, field: 'login', message: `${parsed.data.login} is already on line ${earlier}` });
      continue;
    }
    seen.set(parsed.data.login, info.lines);
    rows.push({ line: info.lines, ...parsed.data });
  }
  if (issues.length > 0) throw new RejectedInputError(`${file}: ${issues.length} bad row(s); nothing was imported`, issues);
  if (rows.length === 0) throw new RejectedInputError(`${file} lists nobody`, [{ file, message: 'no rows below the header' }]);
  return rows;
}
