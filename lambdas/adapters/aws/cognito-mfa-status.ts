/**
 * Whether a Cognito user has a second factor enabled (AdminGetUser's `UserMFASettingList`).
 * Used by the pre-token-generation trigger to withhold staff groups from users without MFA.
 *
 * @example
 * ```ts
 * const mfa = new CognitoMfaStatus();
 * await mfa.hasMfa('eu-west-1_abc', 'alice'); // true when TOTP is enabled
 * ```
 */
import type { JsonCalls } from './aws-json-client.ts';
import { AdminGetUserCommand, defaultCognitoCalls } from './cognito-commands.ts';

/** Second factors that count as MFA for staff (SMS is disabled on the pool). */
export const STAFF_MFA_METHODS: readonly string[] = ['SOFTWARE_TOKEN_MFA'];

export interface MfaStatus {
  hasMfa(userPoolId: string, userName: string): Promise<boolean>;
}

export class CognitoMfaStatus implements MfaStatus {
  private readonly client: JsonCalls;

  constructor(options: { client?: JsonCalls } = {}) {
    this.client = options.client ?? defaultCognitoCalls();
  }

  async hasMfa(userPoolId: string, userName: string): Promise<boolean> {
    const output = await this.client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: userName }));
    return (output.UserMFASettingList ?? []).some((method) => STAFF_MFA_METHODS.includes(method));
  }
}
