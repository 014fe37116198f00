/**
 * The Secrets Manager call the functions make (GetSecretValue, the webhook signing secret), over
 * {@link AwsJsonClient} (`aws-json-client.ts` says why not the SDK's client): the SDK's command
 * name, input and output, `SecretBinary` as a `Uint8Array` and `CreatedDate` as a `Date`.
 */
import type { GetSecretValueRequest, GetSecretValueResponse } from '@aws-sdk/client-secrets-manager';
import { bytesOf, dateOf, JsonCommand, SECRETS_MANAGER, sharedJsonClient, type JsonCalls } from './aws-json-client.ts';

export class GetSecretValueCommand extends JsonCommand<GetSecretValueRequest, GetSecretValueResponse> {
  public readonly operation = 'GetSecretValue';
  public override read(answer: Record<string, unknown>): GetSecretValueResponse {
    const output = { ...(answer as unknown as GetSecretValueResponse) };
    if (answer.SecretBinary !== undefined) output.SecretBinary = bytesOf(answer.SecretBinary);
    if (answer.CreatedDate !== undefined) output.CreatedDate = dateOf(answer.CreatedDate);
    return output;
  }
}

/** The function's Secrets Manager client, made at the first use. */
export function defaultSecretsManagerCalls(): JsonCalls {
  return sharedJsonClient(SECRETS_MANAGER);
}
