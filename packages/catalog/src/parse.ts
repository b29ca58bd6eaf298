import type { InputIssue } from '@kadai/errors';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { locate } from './locate';

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: InputIssue[] };

/** Parses YAML text against a zod schema; every problem comes back as file:line:col. */
export function parseYaml<S extends z.ZodType>(file: string, text: string, schema: S): Parsed<z.infer<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { file, line: pos.line, column: pos.col, message: error.message.split('\n')[0] ?? error.code };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // yaml refuses documents whose aliases would expand past the limit (an "alias bomb").
    return { ok: false, issues: [{ file, line: 1, column: 1, message: (error as Error).message }] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => {
      const { line, column } = locate(doc, lineCounter, issue.path);
      const field = issue.path.map(String).join('.');
      return { file, line, column, message: field ? `${field}: ${issue.message}` : issue.message };
    }),
  };
}
