/**
 * Local KMS: an HTTP server speaking the KMS JSON 1.1 protocol (`X-Amz-Target:
 * TrentService.<Operation>`) over `node:crypto`, with keys persisted in a data folder.
 *
 * Operations: CreateKey (SYMMETRIC_DEFAULT, HMAC_256, ECC_NIST_P256), DescribeKey, CreateAlias,
 * ListAliases, Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
 * GenerateMac, VerifyMac, Sign, Verify (ECDSA_SHA_256, RAW or DIGEST), GetPublicKey, and the
 * operator reads ListKeys, ListResourceTags, GetKeyRotationStatus with EnableKeyRotation and
 * DisableKeyRotation (symmetric keys only, as in AWS; the runtime turns rotation on for the keys
 * the template rotates).
 * KeyId may be a key id, key ARN, alias name or alias ARN. Key policies, grants and deletion are
 * not modelled: the local runtime's keys are always enabled. Rotation is a recorded setting: the
 * local KMS never rotates key material.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './client-config.ts';
import { optionalNumber, optionalString, optionalStringMap, requiredBlob, requiredString } from './json-input.ts';
import { AwsServiceError, startJsonProtocolServer, type OperationHandler } from './json-protocol-server.ts';
import {
  blobKeyId,
  decryptBlob,
  encryptBlob,
  mac,
  macMatches,
  publicKeyDer,
  signMessage,
  verifyMessage,
} from './kms-crypto.ts';
import { isKeySpec, KEY_USAGE_BY_SPEC, KmsKeyStore, type LocalKeySpec, type StoredKey } from './kms-key-store.ts';

export type { LocalKeySpec } from './kms-key-store.ts';

/** Options of {@link startKmsServer}. */
export interface KmsServerOptions {
  /** Folder for keys and aliases (created when missing, mode 0700). */
  readonly dataDir: string;
  /** TCP port (0 or undefined: a free port). */
  readonly port?: number;
  /** Region used in ARNs (default us-east-1). */
  readonly region?: string;
  /** Largest request body in bytes (default 1 MiB; KMS payloads are at most 4 KiB). */
  readonly maxBodyBytes?: number;
}

/** The identity of a key. */
export interface LocalKeyRef {
  readonly keyId: string;
  readonly arn: string;
  readonly keySpec: LocalKeySpec;
}

/** A running local KMS. */
export interface KmsServer {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /**
   * Creates the key with this id or ARN (`arn:aws:kms:<region>:000000000000:key/<uuid>`) unless
   * it exists; throws when it exists with another spec or the ARN names another region/account.
   */
  /**
   * Creates the key unless it exists; `rotationPeriodInDays` (the template's
   * `EnableKeyRotation`/`RotationPeriodInDays`) turns automatic rotation on for it, `undefined` off.
   */
  ensureKey(keyIdOrArn: string, spec: LocalKeySpec, description?: string, rotationPeriodInDays?: number): LocalKeyRef;
  /** Points `alias/<name>` at a key unless the alias exists. */
  ensureAlias(aliasName: string, keyIdOrArn: string): void;
  stop(): Promise<void>;
}

const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

function keyMetadata(key: StoredKey): Record<string, unknown> {
  const algorithms =
    key.keySpec === 'SYMMETRIC_DEFAULT'
      ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
      : key.keySpec === 'HMAC_256'
        ? { MacAlgorithms: ['HMAC_SHA_256'] }
        : { SigningAlgorithms: ['ECDSA_SHA_256'] };
  return {
    AWSAccountId: LOCAL_ACCOUNT_ID,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.creationDate,
    Enabled: true,
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    MultiRegion: false,
    ...algorithms,
  };
}

/** Automatic rotation applies to symmetric encryption keys only (UnsupportedOperationException otherwise, as AWS). */
function rotatableKey(key: StoredKey, operation: string): StoredKey {
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new AwsServiceError(
      'UnsupportedOperationException',
      `${key.arn} key usage ${key.keyUsage} is not supported for ${operation}: automatic rotation applies to symmetric encryption keys`,
    );
  }
  return key;
}

/** `RotationPeriodInDays`: 90-2560, 365 when absent (AWS's bounds and default). */
export function rotationPeriod(input: Record<string, unknown>): number {
  const days = optionalNumber(input, 'RotationPeriodInDays', 90, 2560);
  if (days !== undefined && !Number.isInteger(days)) {
    throw new AwsServiceError('ValidationException', 'RotationPeriodInDays must be a whole number of days');
  }
  return days ?? 365;
}

function requireSpec(key: StoredKey, spec: LocalKeySpec, operation: string): void {
  if (key.keySpec !== spec) {
    throw new AwsServiceError(
      'InvalidKeyUsageException',
      `${operation} needs a ${KEY_USAGE_BY_SPEC[spec]} key; ${key.arn} is ${key.keyUsage}`,
    );
  }
}

function requireAlgorithm(input: Record<string, unknown>, field: string, expected: string, required: boolean): void {
  const value = required ? requiredString(input, field) : optionalString(input, field);
  if (value !== undefined && value !== expected) {
    throw new AwsServiceError('ValidationException', `${field} must be ${expected} for this key`);
  }
}

function messageType(input: Record<string, unknown>): 'RAW' | 'DIGEST' {
  const value = optionalString(input, 'MessageType') ?? 'RAW';
  if (value !== 'RAW' && value !== 'DIGEST')
    throw new AwsServiceError('ValidationException', 'MessageType must be RAW or DIGEST');
  return value;
}

function dataKeyLength(input: Record<string, unknown>): number {
  const spec = optionalString(input, 'KeySpec');
  const count = optionalNumber(input, 'NumberOfBytes', 1, 1024);
  if ((spec === undefined) === (count === undefined)) {
    throw new AwsServiceError('ValidationException', 'Specify exactly one of KeySpec and NumberOfBytes');
  }
  if (spec === undefined) return count ?? 32;
  if (spec === 'AES_256') return 32;
  if (spec === 'AES_128') return 16;
  throw new AwsServiceError('ValidationException', 'KeySpec must be AES_256 or AES_128');
}

function operations(store: KmsKeyStore): Record<string, OperationHandler> {
  const keyOf = (input: Record<string, unknown>, field = 'KeyId'): StoredKey =>
    store.resolve(requiredString(input, field));
  const b64 = (bytes: Buffer): string => bytes.toString('base64');

  const decryptInput = (input: Record<string, unknown>, blobField: string, contextField: string, keyField: string) => {
    const blob = requiredBlob(input, blobField, 1, MAX_CIPHERTEXT);
    const embedded = store.find(blobKeyId(blob));
    if (!embedded) throw new AwsServiceError('InvalidCiphertextException', 'The ciphertext refers to an unknown key');
    const requested = optionalString(input, keyField);
    if (requested !== undefined && store.resolve(requested).keyId !== embedded.keyId) {
      throw new AwsServiceError(
        'IncorrectKeyException',
        'The key ID in the request does not identify the key that encrypted the ciphertext',
      );
    }
    requireSpec(embedded, 'SYMMETRIC_DEFAULT', 'Decrypt');
    return { key: embedded, plaintext: decryptBlob(embedded, blob, optionalStringMap(input, contextField)) };
  };

  const generateDataKey = (input: Record<string, unknown>, withPlaintext: boolean) => {
    const key = keyOf(input);
    requireSpec(key, 'SYMMETRIC_DEFAULT', 'GenerateDataKey');
    const plaintext = randomBytes(dataKeyLength(input));
    const blob = encryptBlob(key, plaintext, optionalStringMap(input, 'EncryptionContext'));
    return { KeyId: key.arn, CiphertextBlob: b64(blob), ...(withPlaintext ? { Plaintext: b64(plaintext) } : {}) };
  };

  return {
    CreateKey(input) {
      const spec =
        optionalString(input, 'KeySpec') ?? optionalString(input, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
      if (!isKeySpec(spec)) {
        throw new AwsServiceError('UnsupportedOperationException', `KeySpec ${spec} is not supported by the local KMS`);
      }
      const usage = optionalString(input, 'KeyUsage');
      if (usage !== undefined && usage !== KEY_USAGE_BY_SPEC[spec]) {
        throw new AwsServiceError('ValidationException', `KeyUsage ${usage} is not valid for KeySpec ${spec}`);
      }
      return { KeyMetadata: keyMetadata(store.create(spec, optionalString(input, 'Description') ?? '')) };
    },
    DescribeKey: (input) => ({ KeyMetadata: keyMetadata(keyOf(input)) }),
    // Operator reads (`aws kms list-keys`, `list-resource-tags`): one page, the local store is small.
    ListKeys: () => ({
      Keys: store.list().map((key) => ({ KeyId: key.keyId, KeyArn: key.arn })),
      Truncated: false,
    }),
    // `aws kms get-key-rotation-status`: the setting, as the template (or EnableKeyRotation) left it.
    GetKeyRotationStatus(input) {
      const key = rotatableKey(keyOf(input), 'GetKeyRotationStatus');
      return {
        KeyId: key.arn,
        KeyRotationEnabled: key.rotationPeriodInDays !== undefined,
        ...(key.rotationPeriodInDays !== undefined ? { RotationPeriodInDays: key.rotationPeriodInDays } : {}),
      };
    },
    EnableKeyRotation(input) {
      const key = rotatableKey(keyOf(input), 'EnableKeyRotation');
      store.setRotation(key, rotationPeriod(input));
      return {};
    },
    DisableKeyRotation(input) {
      store.setRotation(rotatableKey(keyOf(input), 'DisableKeyRotation'), undefined);
      return {};
    },
    ListResourceTags: (input) => {
      keyOf(input);
      return { Tags: [], Truncated: false };
    },
    CreateAlias(input) {
      store.createAlias(requiredString(input, 'AliasName'), keyOf(input, 'TargetKeyId'));
      return {};
    },
    ListAliases(input) {
      const keyId = optionalString(input, 'KeyId');
      const aliases = store.listAliases(keyId === undefined ? undefined : store.resolve(keyId).keyId);
      return {
        Aliases: aliases.map(({ aliasName, targetKeyId }) => ({
          AliasName: aliasName,
          AliasArn: store.aliasArnOf(aliasName),
          TargetKeyId: targetKeyId,
        })),
        Truncated: false,
      };
    },
    Encrypt(input) {
      const key = keyOf(input);
      requireSpec(key, 'SYMMETRIC_DEFAULT', 'Encrypt');
      requireAlgorithm(input, 'EncryptionAlgorithm', 'SYMMETRIC_DEFAULT', false);
      const plaintext = requiredBlob(input, 'Plaintext', 1, MAX_PLAINTEXT);
      const blob = encryptBlob(key, plaintext, optionalStringMap(input, 'EncryptionContext'));
      return { KeyId: key.arn, CiphertextBlob: b64(blob), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    Decrypt(input) {
      requireAlgorithm(input, 'EncryptionAlgorithm', 'SYMMETRIC_DEFAULT', false);
      const { key, plaintext } = decryptInput(input, 'CiphertextBlob', 'EncryptionContext', 'KeyId');
      return { KeyId: key.arn, Plaintext: b64(plaintext), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    ReEncrypt(input) {
      const { key: source, plaintext } = decryptInput(
        input,
        'CiphertextBlob',
        'SourceEncryptionContext',
        'SourceKeyId',
      );
      const destination = keyOf(input, 'DestinationKeyId');
      requireSpec(destination, 'SYMMETRIC_DEFAULT', 'ReEncrypt');
      const blob = encryptBlob(destination, plaintext, optionalStringMap(input, 'DestinationEncryptionContext'));
      return {
        CiphertextBlob: b64(blob),
        SourceKeyId: source.arn,
        KeyId: destination.arn,
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    GenerateDataKey: (input) => generateDataKey(input, true),
    GenerateDataKeyWithoutPlaintext: (input) => generateDataKey(input, false),
    GenerateMac(input) {
      const key = keyOf(input);
      requireSpec(key, 'HMAC_256', 'GenerateMac');
      requireAlgorithm(input, 'MacAlgorithm', 'HMAC_SHA_256', true);
      const message = requiredBlob(input, 'Message', 1, MAX_PLAINTEXT);
      return { KeyId: key.arn, Mac: b64(mac(key, message)), MacAlgorithm: 'HMAC_SHA_256' };
    },
    VerifyMac(input) {
      const key = keyOf(input);
      requireSpec(key, 'HMAC_256', 'VerifyMac');
      requireAlgorithm(input, 'MacAlgorithm', 'HMAC_SHA_256', true);
      const message = requiredBlob(input, 'Message', 1, MAX_PLAINTEXT);
      if (!macMatches(key, message, requiredBlob(input, 'Mac', 1, 64))) {
        throw new AwsServiceError('KMSInvalidMacException', 'The MAC does not match the message and key');
      }
      return { KeyId: key.arn, MacValid: true, MacAlgorithm: 'HMAC_SHA_256' };
    },
    Sign(input) {
      const key = keyOf(input);
      requireSpec(key, 'ECC_NIST_P256', 'Sign');
      requireAlgorithm(input, 'SigningAlgorithm', 'ECDSA_SHA_256', true);
      const signature = signMessage(key, requiredBlob(input, 'Message', 1, MAX_PLAINTEXT), messageType(input));
      return { KeyId: key.arn, Signature: b64(signature), SigningAlgorithm: 'ECDSA_SHA_256' };
    },
    Verify(input) {
      const key = keyOf(input);
      requireSpec(key, 'ECC_NIST_P256', 'Verify');
      requireAlgorithm(input, 'SigningAlgorithm', 'ECDSA_SHA_256', true);
      const message = requiredBlob(input, 'Message', 1, MAX_PLAINTEXT);
      const signature = requiredBlob(input, 'Signature', 1, 256);
      if (!verifyMessage(key, message, messageType(input), signature)) {
        throw new AwsServiceError(
          'KMSInvalidSignatureException',
          'The signature is not valid for this message and key',
        );
      }
      return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' };
    },
    GetPublicKey(input) {
      const key = keyOf(input);
      requireSpec(key, 'ECC_NIST_P256', 'GetPublicKey');
      return {
        KeyId: key.arn,
        PublicKey: b64(publicKeyDer(key)),
        KeySpec: 'ECC_NIST_P256',
        CustomerMasterKeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ECDSA_SHA_256'],
      };
    },
  };
}

const KEY_ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;

/**
 * Starts the local KMS.
 *
 * @example
 * const kms = await startKmsServer({ dataDir: '.local-data/kms' });
 * kms.ensureKey('arn:aws:kms:us-east-1:000000000000:key/1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'SYMMETRIC_DEFAULT');
 * const client = new KMSClient(localClientConfig(kms.endpoint));
 */
export async function startKmsServer(options: KmsServerOptions): Promise<KmsServer> {
  const region = options.region ?? LOCAL_REGION;
  const store = new KmsKeyStore(resolve(options.dataDir), region);
  const server = await startJsonProtocolServer({
    name: 'local KMS',
    targetPrefix: 'TrentService',
    operations: operations(store),
    port: options.port,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
  });
  return {
    endpoint: server.endpoint,
    port: server.port,
    region,
    stop: () => server.stop(),
    ensureKey(keyIdOrArn, spec, description = '', rotationPeriodInDays) {
      const arn = KEY_ARN.exec(keyIdOrArn);
      if (arn && (arn[1] !== region || arn[2] !== LOCAL_ACCOUNT_ID)) {
        throw new Error(`Key ARN ${keyIdOrArn} must use region ${region} and account ${LOCAL_ACCOUNT_ID}`);
      }
      const keyId = arn?.[3] ?? keyIdOrArn;
      const key = store.find(keyId) ?? store.create(spec, description, keyId);
      if (key.keySpec !== spec) throw new Error(`Key ${key.arn} exists with spec ${key.keySpec}, not ${spec}`);
      if (spec === 'SYMMETRIC_DEFAULT' && key.rotationPeriodInDays !== rotationPeriodInDays) {
        store.setRotation(key, rotationPeriodInDays);
      }
      return { keyId: key.keyId, arn: key.arn, keySpec: key.keySpec };
    },
    ensureAlias(aliasName, keyIdOrArn) {
      const key = store.resolve(keyIdOrArn);
      if (!store.listAliases().some((alias) => alias.aliasName === aliasName)) store.createAlias(aliasName, key);
    },
  };
}
