/**
 * Validates a parsed body with a zod schema (`zod/mini` or the full build); failures become 400 listing each problem's path,
 * message and, where the schema names one, a specific code (zod messages name the rule, never
 * the value sent). The answer's `code` is the first specific code found, else
 * `VALIDATION_ERROR`, so a client can tell e.g. `BIDI_CONTROL_CHARACTER` from a typo.
 *
 * @example
 * ```ts
 * const body = validateBody(schema, event.parsedBody);
 * ```
 */
import type { MiddlewareObj } from '@middy/core';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { BadRequestError } from './http-errors.ts';
import type { KycHttpEvent } from './types.ts';

// zod/mini (the tree-shakable build the body schemas use) loads no messages by itself; the
// English ones are those zod's full build loads, so a 400 reads the same with either build.
z.config(en());

/**
 * The body of a route that takes none: nothing, or an empty object. Any field is refused (400
 * `VALIDATION_ERROR`, "Unrecognized key"), as unknown keys are everywhere, rather than ignored.
 */
export const NO_FIELDS = z.optional(z.strictObject({}));

export function validateBody<S extends z.core.$ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = z.safeParse(schema, body);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => {
    const specific = specificCode(issue);
    return {
      path: issue.path.map(String).join('.'),
      message: issue.message,
      ...(specific ? { code: specific } : {}),
    };
  });
  const code = issues.find((issue) => issue.code !== undefined)?.code ?? 'VALIDATION_ERROR';
  throw new BadRequestError(code, 'The request body is invalid', { details: { issues } });
}

function specificCode(issue: z.core.$ZodIssue): string | undefined {
  const params = (issue as { params?: { code?: unknown } }).params;
  return typeof params?.code === 'string' ? params.code : undefined;
}

/**
 * The body checked as a middleware, placed before a route quota (`routeQuota`): a malformed
 * request is answered 400 without counting against the caller's quota. The handler still reads
 * the body with `validateBody` (the same schema, so the same answer).
 *
 * @example
 * ```ts
 * httpHandler(route, fn).use(bodyCheck(schema)).use(routeQuota(options));
 * ```
 */
export function bodyCheck(schema: z.core.$ZodType): MiddlewareObj<KycHttpEvent> {
  return {
    before: (request) => {
      validateBody(schema, request.event.parsedBody);
    },
  };
}
