import * as jmespath from 'jmespath';
import { isDeepStrictEqual } from 'node:util';
import { row, show } from '@kadai/checks';
import { z } from 'zod';

/** One JMESPath assertion of a lab's check (`assert`, `document`): a query and what its result must be. */
export const jmespathQuery = z
  .strictObject({
    query: z.string().min(1).refine((q) => compiles(q), 'not a valid JMESPath expression'),
    equals: z.unknown().optional(),
    contains: z.unknown().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((q) => ['equals', 'contains', 'min', 'max'].some((k) => k in q), 'say what the result must be: equals, contains, min or max');
export type JmespathQuery = z.infer<typeof jmespathQuery>;

/** jmespath's parser (exported by the package, not by its type declarations). */
const { compile } = jmespath as unknown as { compile(query: string): unknown };

function compiles(query: string): boolean {
  try {
    compile(query);
    return true;
  } catch {
    return false;
  }
}

export const search = (data: unknown, query: string): unknown => jmespath.search(data, query) as unknown;

export function judgeQuery(q: JmespathQuery, result: unknown): boolean {
  if ('equals' in q && !isDeepStrictEqual(result, q.equals)) return false;
  if ('contains' in q) {
    const ok = Array.isArray(result) ? result.some((r) => isDeepStrictEqual(r, q.contains)) : typeof result === 'string' && typeof q.contains === 'string' && result.includes(q.contains);
    if (!ok) return false;
  }
  if (q.min !== undefined && !(typeof result === 'number' && result >= q.min)) return false;
  if (q.max !== undefined && !(typeof result === 'number' && result <= q.max)) return false;
  return true;
}

/** Expected vs actual of one query, as an evidence row (`present: false` — nothing to run it on — fails it). */
export function queryRow(q: JmespathQuery, input: unknown, present: boolean): string {
  const result = present ? search(input, q.query) : null;
  const expected = [q.equals !== undefined && `equals ${show(q.equals)}`, q.contains !== undefined && `contains ${show(q.contains)}`, q.min !== undefined && `≥ ${q.min}`, q.max !== undefined && `≤ ${q.max}`].filter(Boolean).join(', ');
  return row(q.query, present && judgeQuery(q, result), expected, result);
}
