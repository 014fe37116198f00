/**
 * An SDK client behind the functions' `JsonCalls` (`lambdas/adapters/aws/aws-json-client.ts`):
 * each command is sent as the SDK's command of the same operation, through `client`. For a
 * command-line tool with the AWS profile's credentials, and for tests that mock the SDK's client.
 */
import type { JsonCalls, JsonCommand, ResponseMetadata } from '../../lambdas/adapters/aws/aws-json-client.ts';
import { localClientConfig, LOCAL_REGION } from './client-config.ts';
import { AwsJsonClient, type AwsJsonService } from '../../lambdas/adapters/aws/aws-json-client.ts';

/** What this needs of an SDK client. */
interface SdkClient {
  send(command: never): Promise<unknown>;
}

/**
 * `client`'s calls, its commands taken from the SDK's module (`import * as kms from '@aws-sdk/client-kms'`).
 *
 * @example
 * const signer = new KmsDigestSigner({ keyId, client: sdkCalls(new KMSClient({ region }), kms) });
 */
export function sdkCalls(client: SdkClient, commands: Readonly<Record<string, unknown>>): JsonCalls {
  return {
    async send<O>(command: JsonCommand<object, O>): Promise<O & { readonly $metadata: ResponseMetadata }> {
      const SdkCommand = commands[`${command.operation}Command`] as (new (input: object) => never) | undefined;
      if (typeof SdkCommand !== 'function') throw new TypeError(`The SDK module has no ${command.operation}Command`);
      return (await client.send(new SdkCommand(command.input))) as O & { readonly $metadata: ResponseMetadata };
    },
  };
}

/**
 * The functions' client of `service` against a local server (the local servers' credentials).
 *
 * @example
 * const signer = new KmsDigestSigner({ keyId, client: localJsonClient(KMS, services.endpoints.kms) });
 */
export function localJsonClient(
  service: AwsJsonService,
  endpoint: string,
  region: string = LOCAL_REGION,
): AwsJsonClient {
  const { credentials, maxAttempts } = localClientConfig(endpoint, region);
  return new AwsJsonClient(service, { context: { region, endpoint, credentials }, maxAttempts });
}
