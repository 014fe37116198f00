import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPreTokenGenerationHandler } from '../../../lambdas/handlers/auth/pre-token-generation.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';

function tokenEvent(groups: string[]): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_pool',
    userName: 'staff-1',
    callerContext: { awsSdkVersion: '3', clientId: 'client' },
    request: {
      userAttributes: { sub: 'staff-1' },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] },
      scopes: ['aws.cognito.signin.user.admin'],
    },
    response: { claimsAndScopeOverrideDetails: null },
  } as unknown as PreTokenGenerationV2TriggerEvent;
}

const tokenGroups = (event: PreTokenGenerationV2TriggerEvent): string[] | undefined =>
  event.response.claimsAndScopeOverrideDetails?.groupOverrideDetails?.groupsToOverride;

beforeAll(() => logger.setLogLevel('SILENT'));

describe('pre-token-generation trigger: staff groups only with MFA', () => {
  it.each([
    { groups: ['admin'], left: [] },
    { groups: ['support', 'compliance_approver'], left: [] },
    { groups: ['support', 'beta-testers'], left: ['beta-testers'] },
  ])('a user in $groups without MFA gets a token without staff groups', async ({ groups, left }) => {
    // Prepare
    const lookups: string[] = [];
    const trigger = createPreTokenGenerationHandler({
      mfa: {
        hasMfa: async (pool, user) => {
          lookups.push(`${pool}/${user}`);
          return false;
        },
      },
    });

    // Act
    const result = await trigger(tokenEvent(groups));

    // Assess
    expect(tokenGroups(result)).toEqual(left);
    expect(lookups).toEqual(['eu-west-1_pool/staff-1']);
  });

  it('keeps the staff groups of a user with TOTP enabled', async () => {
    // Prepare
    const trigger = createPreTokenGenerationHandler({ mfa: { hasMfa: async () => true } });

    // Act
    const result = await trigger(tokenEvent(['compliance_reviewer']));

    // Assess
    expect(tokenGroups(result)).toBeUndefined();
    expect(result.request.groupConfiguration.groupsToOverride).toEqual(['compliance_reviewer']);
  });

  it('does not look up customers (no staff group)', async () => {
    // Prepare
    const trigger = createPreTokenGenerationHandler({
      mfa: {
        hasMfa: async () => {
          throw new Error('must not be called');
        },
      },
    });

    // Act
    const result = await trigger(tokenEvent([]));

    // Assess
    expect(tokenGroups(result)).toBeUndefined();
  });

  it('fails closed: a failed MFA lookup refuses the sign-in', async () => {
    // Prepare
    const trigger = createPreTokenGenerationHandler({
      mfa: {
        hasMfa: async () => {
          throw Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' });
        },
      },
    });

    // Act / Assess
    await expect(trigger(tokenEvent(['admin']))).rejects.toThrow('throttled');
  });
});
