/**
 * `KeyedHasher` over a KMS HMAC key (GenerateMac, HMAC_SHA_256): the key never leaves KMS, so
 * a leaked table cannot be brute-forced back to document numbers.
 *
 * @example
 * ```ts
 * const hasher = new KmsKeyedHasher({ keyId: process.env.HMAC_KEY_ARN! });
 * await hasher.hash('L898902C3'); // 64 hex characters
 * ```
 */
import { defaultKmsCalls, GenerateMacCommand } from './kms-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { KeyedHasher } from '../../ports/keyed-hash.ts';

export interface KmsKeyedHasherOptions {
  readonly keyId: string;
  /** KMS client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

/** KMS returned no MAC. */
export class KeyedHashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyedHashError';
  }
}

export class KmsKeyedHasher implements KeyedHasher {
  private readonly client: JsonCalls;

  constructor(private readonly options: KmsKeyedHasherOptions) {
    this.client = options.client ?? defaultKmsCalls();
  }

  async hash(message: string): Promise<string> {
    const output = await this.client.send(
      new GenerateMacCommand({
        KeyId: this.options.keyId,
        MacAlgorithm: 'HMAC_SHA_256',
        Message: new TextEncoder().encode(message),
      }),
    );
    if (!output.Mac) throw new KeyedHashError('GenerateMac returned no Mac');
    return Buffer.from(output.Mac).toString('hex');
  }
}
