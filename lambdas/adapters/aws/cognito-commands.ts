/**
 * The Cognito user pool call the functions make (AdminGetUser, from the pre-token trigger), over
 * {@link AwsJsonClient} (`aws-json-client.ts` says why not the SDK's client): the SDK's command
 * name, input and output, its times as `Date`s.
 */
import type { AdminGetUserRequest, AdminGetUserResponse } from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_IDENTITY_PROVIDER, dateOf, JsonCommand, sharedJsonClient, type JsonCalls } from './aws-json-client.ts';

export class AdminGetUserCommand extends JsonCommand<AdminGetUserRequest, AdminGetUserResponse> {
  public readonly operation = 'AdminGetUser';
  public override read(answer: Record<string, unknown>): AdminGetUserResponse {
    const output = { ...(answer as unknown as AdminGetUserResponse) };
    for (const name of ['UserCreateDate', 'UserLastModifiedDate'] as const) {
      if (answer[name] !== undefined) output[name] = dateOf(answer[name]);
    }
    return output;
  }
}

/** The function's Cognito user pool client, made at the first use. */
export function defaultCognitoCalls(): JsonCalls {
  return sharedJsonClient(COGNITO_IDENTITY_PROVIDER);
}
