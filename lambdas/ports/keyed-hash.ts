/**
 * Keyed hash of identifiers (document numbers) for uniqueness checks without storing the
 * identifier: in AWS a KMS HMAC key (GenerateMac, HMAC_SHA_256), so the hash cannot be
 * recomputed or brute-forced without the key.
 */
export interface KeyedHasher {
  /** Hex HMAC of `message`. */
  hash(message: string): Promise<string>;
}
