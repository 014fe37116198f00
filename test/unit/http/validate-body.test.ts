import { describe, expect, it } from 'vitest';
import { createExportSchema } from '../../../lambdas/handlers/http/create-export.ts';
import { BadRequestError } from '../../../lambdas/handlers/http/middleware/http-errors.ts';
import { validateBody } from '../../../lambdas/handlers/http/middleware/validate.ts';
import { reviewDecisionSchema } from '../../../lambdas/handlers/http/review-decision.ts';

/** The code and issues of the 400 a body gets. */
function refusal(schema: Parameters<typeof validateBody>[0], body: unknown): { code: string; issues: unknown } {
  try {
    validateBody(schema, body);
  } catch (error) {
    if (error instanceof BadRequestError) return { code: error.code, issues: error.details.issues };
    throw error;
  }
  throw new Error('the body was accepted');
}

// The body schemas use zod/mini, which loads no messages by itself; these are the English
// messages of zod's full build, which the schemas used before (this file imports only zod/mini).
describe('validateBody with zod/mini schemas', () => {
  it.each([
    [
      'a blank note and no reason',
      reviewDecisionSchema,
      { decision: 'reject', note: '  ' },
      [
        { path: 'note', message: 'Too small: expected string to have >=1 characters' },
        { path: 'reasons', message: 'a rejection needs at least one reason code' },
      ],
    ],
    [
      'an unknown decision and an extra key',
      reviewDecisionSchema,
      { decision: 'maybe', note: 'x', extra: 1 },
      [
        { path: 'decision', message: 'Invalid option: expected one of "approve"|"reject"' },
        { path: '', message: 'Unrecognized key: "extra"' },
      ],
    ],
    [
      'no ids and a short reason',
      createExportSchema,
      { verificationIds: [], reason: ' a ' },
      [
        { path: 'verificationIds', message: 'Too small: expected array to have >=1 items' },
        { path: 'reason', message: 'Too small: expected string to have >=3 characters' },
      ],
    ],
    [
      'ids given as a string',
      createExportSchema,
      { verificationIds: 'x' },
      [
        { path: 'verificationIds', message: 'Invalid input: expected array, received string' },
        { path: 'reason', message: 'Invalid input: expected string, received undefined' },
      ],
    ],
  ])('refuses %s with 400 VALIDATION_ERROR and the English messages', (_case, schema, body, issues) => {
    // Act
    const answer = refusal(schema, body);

    // Assess
    expect(answer).toEqual({ code: 'VALIDATION_ERROR', issues });
  });

  it('trims what the schema trims', () => {
    // Act
    const body = validateBody(createExportSchema, { verificationIds: ['ver-1'], reason: '  audit request  ' });

    // Assess
    expect(body).toEqual({ verificationIds: ['ver-1'], reason: 'audit request' });
  });
});
