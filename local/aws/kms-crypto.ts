/**
 * Cryptography of the local KMS over `node:crypto`.
 *
 * Ciphertext blob (self-describing, so Decrypt works without KeyId):
 *   "LKM1" | key id (36 ASCII bytes) | IV (12) | GCM tag (16) | AES-256-GCM ciphertext
 * The additional authenticated data is the key id plus the canonical (key-sorted) encryption
 * context, so a different context or a blob edited to name another key fails to decrypt.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { signDigestP256, verifyDigestP256 } from './ecdsa-p256.ts';
import { AwsServiceError } from './json-protocol-server.ts';
import type { StoredKey } from './kms-key-store.ts';

const MAGIC = Buffer.from('LKM1', 'ascii');
const KEY_ID_BYTES = 36;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + KEY_ID_BYTES + IV_BYTES + TAG_BYTES;

function invalidCiphertext(): AwsServiceError {
  return new AwsServiceError(
    'InvalidCiphertextException',
    'The ciphertext is invalid, or the encryption context does not match',
  );
}

function additionalData(keyId: string, context: Record<string, string>): Buffer {
  const canonical = JSON.stringify(
    Object.keys(context)
      .sort()
      .map((name) => [name, context[name]]),
  );
  return Buffer.from(`${keyId}\n${canonical}`, 'utf8');
}

/** Encrypts with a symmetric key; returns the blob. */
export function encryptBlob(key: StoredKey, plaintext: Buffer, context: Record<string, string>): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
  cipher.setAAD(additionalData(key.keyId, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, Buffer.from(key.keyId, 'ascii'), iv, cipher.getAuthTag(), ciphertext]);
}

/** The key id a blob names, or InvalidCiphertextException when it is not one of ours. */
export function blobKeyId(blob: Buffer): string {
  if (blob.length <= HEADER_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw invalidCiphertext();
  return blob.subarray(MAGIC.length, MAGIC.length + KEY_ID_BYTES).toString('ascii');
}

/** Decrypts a blob with its key; a wrong context or tampering gives InvalidCiphertextException. */
export function decryptBlob(key: StoredKey, blob: Buffer, context: Record<string, string>): Buffer {
  let offset = MAGIC.length + KEY_ID_BYTES;
  const iv = blob.subarray(offset, (offset += IV_BYTES));
  const tag = blob.subarray(offset, (offset += TAG_BYTES));
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
    decipher.setAAD(additionalData(key.keyId, context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(offset)), decipher.final()]);
  } catch (error) {
    throw new AwsServiceError(invalidCiphertext().type, invalidCiphertext().message, 400, { cause: error });
  }
}

/** HMAC-SHA-256 of a message. */
export function mac(key: StoredKey, message: Buffer): Buffer {
  return createHmac('sha256', Buffer.from(key.material, 'base64')).update(message).digest();
}

/** Constant-time MAC comparison. */
export function macMatches(key: StoredKey, message: Buffer, candidate: Buffer): boolean {
  const expected = mac(key, message);
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/** The digest KMS signs: SHA-256 of a RAW message, or the given 32-byte DIGEST. */
function digestOf(message: Buffer, messageType: 'RAW' | 'DIGEST'): Buffer {
  if (messageType === 'RAW') return createHash('sha256').update(message).digest();
  if (message.length !== 32) {
    throw new AwsServiceError('ValidationException', 'A DIGEST message for ECDSA_SHA_256 must be 32 bytes');
  }
  return message;
}

/** ECDSA_SHA_256 signature (DER) of a RAW message or a DIGEST. */
export function signMessage(key: StoredKey, message: Buffer, messageType: 'RAW' | 'DIGEST'): Buffer {
  const privateKey = createPrivateKey(key.material);
  if (messageType === 'RAW') return sign('sha256', message, privateKey);
  const d = privateKey.export({ format: 'jwk' }).d ?? '';
  return signDigestP256(Buffer.from(d, 'base64url'), digestOf(message, messageType));
}

/** Verifies an ECDSA_SHA_256 signature. */
export function verifyMessage(
  key: StoredKey,
  message: Buffer,
  messageType: 'RAW' | 'DIGEST',
  signature: Buffer,
): boolean {
  const publicKey = createPublicKey(createPrivateKey(key.material));
  if (messageType === 'RAW') {
    try {
      return verify('sha256', message, publicKey, signature);
    } catch {
      return false;
    }
  }
  const { x = '', y = '' } = publicKey.export({ format: 'jwk' });
  return verifyDigestP256(
    Buffer.from(x, 'base64url'),
    Buffer.from(y, 'base64url'),
    digestOf(message, messageType),
    signature,
  );
}

/** The public key as DER SubjectPublicKeyInfo, as GetPublicKey returns it. */
export function publicKeyDer(key: StoredKey): Buffer {
  return createPublicKey(createPrivateKey(key.material)).export({ format: 'der', type: 'spki' });
}
