/**
 * Cognito pre-token-generation trigger (event version 2): staff groups only with MFA.
 *
 * Staff roles (`support`, `compliance_reviewer`, `compliance_approver`, `admin`) are Cognito
 * groups in the one user pool. The pool's MFA is optional (end customers choose), so this
 * trigger enforces it for staff: on every token issue (sign-in and refresh) it looks the user
 * up, and when they belong to a staff group but have no TOTP second factor enabled, the staff
 * groups are removed from `cognito:groups` in both the ID and the access token. Such a user
 * signs in as a plain `user` (so they can still enrol TOTP) and gets no staff rights until
 * they have MFA; a user with TOTP enabled is always challenged for it by Cognito at sign-in.
 * A failed lookup throws, which makes Cognito refuse the sign-in (fail closed).
 *
 * @example
 * ```ts
 * const trigger = createPreTokenGenerationHandler({ mfa: { hasMfa: async () => false } });
 * ```
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { CognitoMfaStatus, type MfaStatus } from '../../adapters/aws/cognito-mfa-status.ts';
import type { Role } from '../../domain/verification.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { logger } from '../shared/logger.ts';

/** Groups that carry staff rights and therefore need MFA. */
export const MFA_REQUIRED_GROUPS: readonly Role[] = ['support', 'compliance_reviewer', 'compliance_approver', 'admin'];

export interface PreTokenGenerationDeps {
  readonly mfa: MfaStatus;
}

export function createPreTokenGenerationHandler(
  source: DepsSource<PreTokenGenerationDeps> = () => ({ mfa: new CognitoMfaStatus() }),
) {
  const deps = resolveDeps(source);
  return async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
    const groups = event.request.groupConfiguration?.groupsToOverride ?? [];
    const staffGroups = groups.filter((group) => (MFA_REQUIRED_GROUPS as readonly string[]).includes(group));
    if (staffGroups.length === 0) return event;
    if (await deps().mfa.hasMfa(event.userPoolId, event.userName)) return event;
    logger.warn('staff groups withheld: no MFA', { triggerSource: event.triggerSource, groups: staffGroups });
    event.response = {
      ...event.response,
      claimsAndScopeOverrideDetails: {
        ...event.response?.claimsAndScopeOverrideDetails,
        groupOverrideDetails: {
          groupsToOverride: groups.filter((group) => !staffGroups.includes(group)),
          iamRolesToOverride: [],
        },
      },
    };
    return event;
  };
}

export const handler = createPreTokenGenerationHandler();
