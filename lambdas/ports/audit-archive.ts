/**
 * Storage and signing behind the audit archive (`domain/audit-archive.ts`). The archive store
 * is write-once (Object Lock COMPLIANCE in AWS): implementations never overwrite or delete.
 */

/** The audit archive bucket, by object key. */
export interface AuditArchiveStore {
  /** Writes a new object (never overwrites: the bucket is locked). */
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** The object's exact bytes, or undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys under `prefix` in key order, after `startAfter` when given. */
  list(prefix: string, startAfter?: string): Promise<string[]>;
}

/** Signs and checks digest messages (KMS asymmetric key, ECDSA_SHA_256 over a 32-byte digest). */
export interface DigestSigner {
  /** Signs a 32-byte SHA-256; returns the key id and the DER signature in base64. */
  sign(message: Uint8Array): Promise<{ keyId: string; algorithm: string; value: string }>;
  /** True when `signature` is a valid signature of `message` by `keyId`. */
  verify(message: Uint8Array, signature: { keyId: string; algorithm: string; value: string }): Promise<boolean>;
}
