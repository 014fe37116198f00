/**
 * Checks every path parameter against the id pattern of the OpenAPI document
 * (`^[\w-]{1,64}$`) before the handler runs, so a malformed or huge id (DynamoDB refuses keys
 * over 2 KB with a ValidationException, which used to surface as a 500) is a 400
 * `INVALID_PATH_PARAMETER` and never reaches an AWS call.
 *
 * @example
 * ```ts
 * middy(handler).use(pathParameters());
 * ```
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { BadRequestError } from './http-errors.ts';
import type { KycHttpEvent } from './types.ts';

/** The pattern of every id in a path (`openapi/openapi.json` declares the same). */
export const PATH_ID_PATTERN = /^[\w-]{1,64}$/;

export function pathParameters(): MiddlewareObj<KycHttpEvent> {
  const pathParametersMiddlewareBefore = (request: Request<KycHttpEvent>): void => {
    const parameters: unknown = request.event.pathParameters;
    if (parameters === undefined || parameters === null) return;
    if (typeof parameters !== 'object') {
      throw new BadRequestError('INVALID_PATH_PARAMETER', 'Path parameters are malformed');
    }
    for (const [name, value] of Object.entries(parameters as Record<string, unknown>)) {
      if (typeof value !== 'string' || !PATH_ID_PATTERN.test(value)) {
        throw new BadRequestError(
          'INVALID_PATH_PARAMETER',
          `Path parameter ${name} must match ${PATH_ID_PATTERN.source}`,
          {
            details: { parameter: name },
          },
        );
      }
    }
  };
  return { name: 'pathParameters', before: pathParametersMiddlewareBefore };
}
