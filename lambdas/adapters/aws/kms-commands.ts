/**
 * The KMS calls the functions make, over {@link AwsJsonClient} (`aws-json-client.ts` says why
 * not the SDK's client): the SDK's command names, inputs and outputs, the outputs' bytes
 * (`Plaintext`, `CiphertextBlob`, `Signature`, `Mac`) as `Uint8Array`s.
 *
 * @example
 * ```ts
 * const { Mac } = await defaultKmsCalls().send(new GenerateMacCommand({ KeyId, MacAlgorithm: 'HMAC_SHA_256', Message }));
 * ```
 */
import type {
  DecryptRequest,
  DecryptResponse,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  GenerateMacRequest,
  GenerateMacResponse,
  SignRequest,
  SignResponse,
  VerifyRequest,
  VerifyResponse,
} from '@aws-sdk/client-kms';
import { bytesOf, JsonCommand, KMS, sharedJsonClient, type JsonCalls } from './aws-json-client.ts';

/** The answer with its members `names` read as bytes. */
function withBytes<O>(answer: Record<string, unknown>, names: readonly string[]): O {
  const output: Record<string, unknown> = { ...answer };
  for (const name of names) if (name in output) output[name] = bytesOf(output[name]);
  return output as O;
}

export class GenerateDataKeyCommand extends JsonCommand<GenerateDataKeyRequest, GenerateDataKeyResponse> {
  public readonly operation = 'GenerateDataKey';
  public override read(answer: Record<string, unknown>): GenerateDataKeyResponse {
    return withBytes(answer, ['Plaintext', 'CiphertextBlob', 'CiphertextForRecipient']);
  }
}

export class DecryptCommand extends JsonCommand<DecryptRequest, DecryptResponse> {
  public readonly operation = 'Decrypt';
  public override read(answer: Record<string, unknown>): DecryptResponse {
    return withBytes(answer, ['Plaintext', 'CiphertextForRecipient']);
  }
}

export class GenerateMacCommand extends JsonCommand<GenerateMacRequest, GenerateMacResponse> {
  public readonly operation = 'GenerateMac';
  public override read(answer: Record<string, unknown>): GenerateMacResponse {
    return withBytes(answer, ['Mac']);
  }
}

export class SignCommand extends JsonCommand<SignRequest, SignResponse> {
  public readonly operation = 'Sign';
  public override read(answer: Record<string, unknown>): SignResponse {
    return withBytes(answer, ['Signature']);
  }
}

export class VerifyCommand extends JsonCommand<VerifyRequest, VerifyResponse> {
  public readonly operation = 'Verify';
}

/** The function's KMS client, made at the first use and shared by its adapters. */
export function defaultKmsCalls(): JsonCalls {
  return sharedJsonClient(KMS);
}
