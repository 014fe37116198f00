/**
 * Validates a parsed body with a zod schema; failures become 400 `VALIDATION_ERROR` listing
 * each problem's path and message (zod messages name the rule, never the value sent).
 *
 * @example
 * ```ts
 * const body = validateBody(schema, event.parsedBody);
 * ```
 */
import type { z } from 'zod';
import { BadRequestError } from './http-errors.ts';

export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new BadRequestError('VALIDATION_ERROR', 'The request body is invalid', { details: { issues } });
}
