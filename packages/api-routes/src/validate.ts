import { RejectedInputError } from '@kadai/errors';
import type { z } from 'zod';

/** A request body or query parsed with the route's zod schema; each issue named by its field (422). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new RejectedInputError(
    `invalid ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
  );
}
