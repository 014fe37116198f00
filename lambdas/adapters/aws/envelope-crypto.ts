/**
 * Envelope encryption of personal data (PRODUCT §5: PII fields encrypted at the field level).
 * KMS GenerateDataKey gives a fresh AES-256 data key per record, bound to an encryption
 * context `{ verificationId, purpose: 'personal-data' }`; the JSON is sealed locally with
 * AES-256-GCM (the same context is the GCM additional data), and only the KMS-encrypted data
 * key is stored. Opening needs kms:Decrypt with the same context, which CloudTrail records.
 *
 * @example
 * ```ts
 * const crypto = new EnvelopeCrypto({ keyId: process.env.DATA_KEY_ARN! });
 * const sealed = await crypto.seal(personalData, { verificationId });
 * const opened = await crypto.open(sealed, { verificationId });
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, defaultKmsCalls, GenerateDataKeyCommand } from './kms-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { PersonalData, SealedData } from '../../domain/records.ts';

export const PERSONAL_DATA_PURPOSE = 'personal-data';

/** Sealing or opening failed (KMS refused, wrong context, tampered ciphertext). */
export class EnvelopeCryptoError extends Error {
  public constructor(
    message: string,
    public readonly verificationId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EnvelopeCryptoError';
  }
}

export interface EnvelopeCryptoOptions {
  /** KMS key id or ARN of the data key. */
  readonly keyId: string;
  /** KMS client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

export class EnvelopeCrypto {
  private readonly keyId: string;
  private readonly client: JsonCalls;

  public constructor(options: EnvelopeCryptoOptions) {
    this.keyId = options.keyId;
    this.client = options.client ?? defaultKmsCalls();
  }

  /** Encrypts personal data for one verification. */
  public async seal(data: PersonalData, context: { verificationId: string }): Promise<SealedData> {
    const encryptionContext = contextFor(context.verificationId);
    const key = await this.client.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext }),
    );
    if (!key.Plaintext || !key.CiphertextBlob) {
      throw new EnvelopeCryptoError('KMS returned no data key', context.verificationId);
    }
    const plaintextKey = Buffer.from(key.Plaintext);
    try {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', plaintextKey, iv);
      cipher.setAAD(additionalData(encryptionContext));
      const ciphertext = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
      return {
        keyId: key.KeyId ?? this.keyId,
        encryptedDataKey: Buffer.from(key.CiphertextBlob).toString('base64'),
        iv: iv.toString('base64'),
        ciphertext: ciphertext.toString('base64'),
        authTag: cipher.getAuthTag().toString('base64'),
      };
    } finally {
      plaintextKey.fill(0);
      key.Plaintext.fill(0);
    }
  }

  /** Decrypts personal data sealed by `seal` for the same verification. */
  public async open(sealed: SealedData, context: { verificationId: string }): Promise<PersonalData> {
    const encryptionContext = contextFor(context.verificationId);
    let plaintextKey: Buffer | undefined;
    try {
      const key = await this.client.send(
        new DecryptCommand({
          KeyId: sealed.keyId,
          CiphertextBlob: Buffer.from(sealed.encryptedDataKey, 'base64'),
          EncryptionContext: encryptionContext,
        }),
      );
      if (!key.Plaintext) throw new EnvelopeCryptoError('KMS returned no plaintext key', context.verificationId);
      plaintextKey = Buffer.from(key.Plaintext);
      key.Plaintext.fill(0);
      const decipher = createDecipheriv('aes-256-gcm', plaintextKey, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(additionalData(encryptionContext));
      decipher.setAuthTag(Buffer.from(sealed.authTag, 'base64'));
      const json = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
      return JSON.parse(json.toString('utf8')) as PersonalData;
    } catch (error) {
      if (error instanceof EnvelopeCryptoError) throw error;
      throw new EnvelopeCryptoError('personal data could not be opened', context.verificationId, { cause: error });
    } finally {
      plaintextKey?.fill(0);
    }
  }
}

function contextFor(verificationId: string): Record<string, string> {
  return { verificationId, purpose: PERSONAL_DATA_PURPOSE };
}

function additionalData(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1))), 'utf8');
}
