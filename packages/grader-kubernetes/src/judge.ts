import * as jmespath from 'jmespath';
import { isDeepStrictEqual } from 'node:util';
import { row, show } from '@kadai/checks';
import { z } from 'zod';
/** jmespath's parser (exported by the package, not by its type declarations). */
const { compile } = jmespath as unknown as { compile(query: string): AstNode };

interface AstNode {
  type: string;
  name?: string;
  children?: AstNode[];
}

/** JMESPath's built-in functions and how many arguments each takes ([min, max]; variadic: Infinity). */
const FUNCTIONS: Record<string, [number, number]> = {
  abs: [1, 1], avg: [1, 1], ceil: [1, 1], contains: [2, 2], ends_with: [2, 2], floor: [1, 1], join: [2, 2], keys: [1, 1],
  length: [1, 1], map: [2, 2], max: [1, 1], max_by: [2, 2], merge: [1, Infinity], min: [1, 1], min_by: [2, 2],
  not_null: [1, Infinity], reverse: [1, 1], sort: [1, 1], sort_by: [2, 2], starts_with: [2, 2], sum: [1, 1],
  to_array: [1, 1], to_number: [1, 1], to_string: [1, 1], type: [1, 1], values: [1, 1],
};

function* functionCalls(node: AstNode): Generator<AstNode> {
  if (node.type === 'Function') yield node;
  for (const child of node.children ?? []) if (child && typeof child === 'object') yield* functionCalls(child);
}

/**
 * Why a lab's expression can never work, whatever the object: it does not parse, calls a function
 * JMESPath does not have, or passes a function the wrong number of arguments. Undefined when it is
 * well-formed. (jmespath's parser accepts unknown functions; they would only fail at run time.)
 */
export function expressionProblem(query: string): string | undefined {
  let ast: AstNode;
  try {
    ast = compile(query);
  } catch (err) {
    return `not a valid JMESPath expression: ${(err as Error).message}`;
  }
  for (const call of functionCalls(ast)) {
    const arity = FUNCTIONS[call.name ?? ''];
    if (!arity) return `JMESPath has no function ${call.name}()`;
    const given = call.children?.length ?? 0;
    if (given < arity[0] || given > arity[1]) return `${call.name}() takes ${arity[1] === Infinity ? `at least ${arity[0]}` : arity[0] === arity[1] ? arity[0] : `${arity[0]}–${arity[1]}`} argument(s), not ${given}`;
  }
  return undefined;
}

/** A query's answer on what was found, or why it has none (a function given null: the field is not there yet). */
export type Evaluation = { value: unknown } | { error: string };

/**
 * Evaluates a well-formed expression. An error here comes from the data — a function handed a
 * missing field (`length(null)`) or a value of another type — so it is an answer about the
 * student's object, not kadai's failure.
 */
export function evaluate(data: unknown, query: string): Evaluation {
  try {
    return { value: jmespath.search(data, query) as unknown };
  } catch (err) {
    return { error: (err as Error).message.replace(/^(TypeError|ArgumentError|RuntimeError): /, '') };
  }
}

/** One JMESPath assertion of a lab's check (`assert`, `document`): a query and what its result must be. */
export const jmespathQuery = z
  .strictObject({
    query: z.string().min(1).superRefine((q, ctx) => {
      const problem = expressionProblem(q);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    equals: z.unknown().optional(),
    contains: z.unknown().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((q) => ['equals', 'contains', 'min', 'max'].some((k) => k in q), 'say what the result must be: equals, contains, min or max');
export type JmespathQuery = z.infer<typeof jmespathQuery>;

export function judgeQuery(q: JmespathQuery, evaluation: Evaluation): boolean {
  if ('error' in evaluation) return false;
  const result = evaluation.value;
  if ('equals' in q && !isDeepStrictEqual(result, q.equals)) return false;
  if ('contains' in q) {
    const ok = Array.isArray(result) ? result.some((r) => isDeepStrictEqual(r, q.contains)) : typeof result === 'string' && typeof q.contains === 'string' && result.includes(q.contains);
    if (!ok) return false;
  }
  if (q.min !== undefined && !(typeof result === 'number' && result >= q.min)) return false;
  if (q.max !== undefined && !(typeof result === 'number' && result <= q.max)) return false;
  return true;
}

/** Whether every query holds on the input. */
export const allHold = (queries: readonly JmespathQuery[], input: unknown): boolean => queries.every((q) => judgeQuery(q, evaluate(input, q.query)));

/** What a query found, for a person: null is said to be nothing (a missing field), an error as such. */
const found = (evaluation: Evaluation): unknown => ('error' in evaluation ? `(cannot be evaluated: ${evaluation.error})` : evaluation.value === null ? 'null (nothing there)' : evaluation.value);

const expectedOf = (q: JmespathQuery) => [q.equals !== undefined && `equals ${show(q.equals)}`, q.contains !== undefined && `contains ${show(q.contains)}`, q.min !== undefined && `≥ ${q.min}`, q.max !== undefined && `≤ ${q.max}`].filter(Boolean).join(', ');

/** Expected vs actual of one query, as an evidence row (`present: false` — nothing to run it on — fails it). */
export function queryRow(q: JmespathQuery, input: unknown, present: boolean): string {
  const evaluation: Evaluation = present ? evaluate(input, q.query) : { value: null };
  return row(q.query, present && judgeQuery(q, evaluation), expectedOf(q), found(evaluation));
}

/** The first query that does not hold: what was queried, expected and found, for a check's message (ja, en; empty when all hold). */
export function queryMismatch(queries: readonly JmespathQuery[], input: unknown): { ja: string; en: string } {
  for (const q of queries) {
    const evaluation = evaluate(input, q.query);
    if (judgeQuery(q, evaluation)) continue;
    const actual = show(found(evaluation));
    return { ja: `JMESPath ${q.query} の結果は ${actual}（期待: ${expectedOf(q)}）。`, en: ` JMESPath ${q.query} gave ${actual} (expected: ${expectedOf(q)}).` };
  }
  return { ja: '', en: '' };
}
