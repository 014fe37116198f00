import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { refuseOwnCase, refuseOwnVerifications } from '../../../lambdas/handlers/http/own-verification.ts';
import { routeFor, type HttpMethod } from '../../../lambdas/handlers/http/routes.ts';

type Operations = Record<string, Record<string, { responses?: Record<string, { description?: string }> }>>;
const openapi = JSON.parse(readFileSync(new URL('../../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  paths: Operations;
};

/** Every staff route about one or more verifications (README "Support resets under four eyes"). */
const OWN_VERIFICATION_ROUTES = [
  'POST /v1/verifications/{id}/reset',
  'POST /v1/verifications/{id}/reset-requests/{requestId}/decision',
  'POST /v1/reviews/{verificationId}/decision',
  'GET /v1/cases/{verificationId}',
  'POST /v1/cases/{verificationId}/claim',
  'POST /v1/cases/{verificationId}/assign',
  'POST /v1/cases/{verificationId}/notes',
  'GET /v1/cases/{verificationId}/audit',
  'POST /v1/cases/{verificationId}/legal-hold',
  'POST /v1/cases/{verificationId}/documents/{slot}/view',
  'POST /v1/exports',
  'GET /v1/exports/{exportId}',
  'POST /v1/exports/{exportId}/approve',
  'POST /v1/exports/{exportId}/reject',
  'GET /v1/support/verifications/{verificationId}',
] as const;

describe('refuseOwnCase', () => {
  it('refuses the subject of the verification with FourEyesError OWN_VERIFICATION', () => {
    // Act / Assess
    expect(() => refuseOwnCase({ userId: 'u-1' }, 'u-1')).toThrow(
      expect.objectContaining({ statusCode: 403, code: 'OWN_VERIFICATION' }),
    );
    expect(() => refuseOwnCase({ userId: 'u-1' }, 'u-2')).not.toThrow();
  });
});

describe('refuseOwnVerifications', () => {
  const verifications = {
    getVerification: async (id: string) => ({ 'v-1': { userId: 'u-1' }, 'v-2': { userId: 'u-2' } })[id],
  };

  it.each([
    ['one of several is the staff member own', ['v-2', 'v-1'], 'u-1', true],
    ['none is theirs', ['v-2', 'v-1'], 'u-3', false],
    ['an unknown id is skipped', ['v-9'], 'u-1', false],
  ])('%s', async (_name, ids, staffId, refused) => {
    // Act
    const result = refuseOwnVerifications(verifications, ids, staffId);

    // Assess
    if (refused) await expect(result).rejects.toMatchObject({ statusCode: 403, code: 'OWN_VERIFICATION' });
    else await expect(result).resolves.toBeUndefined();
  });
});

describe('openapi/openapi.json documents the four-eyes refusal', () => {
  it.each(OWN_VERIFICATION_ROUTES)('%s answers 403 OWN_VERIFICATION', (key) => {
    // Prepare
    const [method, path] = key.split(' ') as [HttpMethod, string];
    const route = routeFor(method, path);

    // Act
    const forbidden = openapi.paths[path]?.[method.toLowerCase()]?.responses?.['403'];

    // Assess
    expect(route.public).not.toBe(true);
    expect(forbidden?.description).toContain('OWN_VERIFICATION');
  });
});
