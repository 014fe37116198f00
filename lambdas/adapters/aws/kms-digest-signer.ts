/**
 * `DigestSigner` over a KMS ECC_NIST_P256 key: `Sign`/`Verify` with `ECDSA_SHA_256` and
 * `MessageType: DIGEST` (the 32-byte SHA-256 of the digest document is signed, as CloudTrail
 * signs its digest files). Verification goes through KMS `Verify` with the key id the digest
 * names, so only keys of this account verify.
 *
 * @example
 * ```ts
 * const signer = new KmsDigestSigner({ keyId: requireEnv('auditSigningKeyArn') });
 * const signature = await signer.sign(digestMessage(body));
 * ```
 */
import { defaultKmsCalls, SignCommand, VerifyCommand } from './kms-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import { DIGEST_SIGNING_ALGORITHM } from '../../domain/audit-archive.ts';
import type { DigestSigner } from '../../ports/audit-archive.ts';

export interface KmsDigestSignerOptions {
  /** ARN or id of the signing key (required to sign; verification uses the digest's key id). */
  readonly keyId: string;
  /** KMS client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

export class KmsDigestSigner implements DigestSigner {
  private readonly client: JsonCalls;

  public constructor(private readonly options: KmsDigestSignerOptions) {
    this.client = options.client ?? defaultKmsCalls();
  }

  public async sign(message: Uint8Array): Promise<{ keyId: string; algorithm: string; value: string }> {
    const output = await this.client.send(
      new SignCommand({
        KeyId: this.options.keyId,
        Message: message,
        MessageType: 'DIGEST',
        SigningAlgorithm: DIGEST_SIGNING_ALGORITHM,
      }),
    );
    if (!output.Signature) throw new Error('KMS Sign returned no signature');
    return {
      keyId: output.KeyId ?? this.options.keyId,
      algorithm: DIGEST_SIGNING_ALGORITHM,
      value: Buffer.from(output.Signature).toString('base64'),
    };
  }

  public async verify(
    message: Uint8Array,
    signature: { keyId: string; algorithm: string; value: string },
  ): Promise<boolean> {
    if (signature.algorithm !== DIGEST_SIGNING_ALGORITHM) return false;
    try {
      const output = await this.client.send(
        new VerifyCommand({
          KeyId: signature.keyId,
          Message: message,
          MessageType: 'DIGEST',
          Signature: Buffer.from(signature.value, 'base64'),
          SigningAlgorithm: DIGEST_SIGNING_ALGORITHM,
        }),
      );
      return output.SignatureValid === true;
    } catch (error) {
      if ((error as Error).name === 'KMSInvalidSignatureException') {
        return false;
      }
      throw error;
    }
  }
}
