/**
 * The local runtime's token signing key: one ES256 key pair per data folder, created on first
 * use and kept in `<dataDir>/auth/signing-key.json` (mode 0600). Tokens minted with it are
 * accepted only by a runtime that uses the same data folder, so a token from one local
 * installation never opens another. Local mode only: in AWS, Cognito signs the tokens.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** Algorithm of local tokens (ECDSA P-256 with SHA-256, as Cognito's RS256 is not needed locally). */
export const LOCAL_TOKEN_ALGORITHM = 'ES256';

/** The key file is unreadable or not an ES256 key pair. */
export class LocalSigningKeyError extends Error {
  constructor(
    message: string,
    public readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalSigningKeyError';
  }
}

export interface LocalSigningKey {
  readonly keyId: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

interface StoredKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Where the key of a data folder lives. */
export function signingKeyFile(dataDir: string): string {
  return join(dataDir, 'auth', 'signing-key.json');
}

/**
 * Loads the data folder's signing key, creating it (atomically) when absent.
 *
 * @example
 * ```ts
 * const key = await loadOrCreateSigningKey('.local-data');
 * ```
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<LocalSigningKey> {
  const file = signingKeyFile(dataDir);
  let stored: StoredKey | undefined;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LocalSigningKeyError(`Cannot read the local signing key ${file}`, file, { cause: error });
    }
  }
  if (!stored) stored = await createKey(file);
  try {
    const privateKey = (await importJWK(stored.privateJwk, LOCAL_TOKEN_ALGORITHM)) as CryptoKey;
    const publicKey = (await importJWK(stored.publicJwk, LOCAL_TOKEN_ALGORITHM)) as CryptoKey;
    return { keyId: stored.kid, privateKey, publicKey };
  } catch (error) {
    throw new LocalSigningKeyError(`The local signing key ${file} is not an ES256 key pair`, file, { cause: error });
  }
}

async function createKey(file: string): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(LOCAL_TOKEN_ALGORITHM, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const stored: StoredKey = {
    kid: `local-${Date.now().toString(36)}`,
    privateJwk: await exportJWK(privateKey),
    publicJwk,
  };
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(stored), { mode: 0o600 });
  renameSync(temporary, file);
  // Another process may have won the race: whoever renamed last wins, and both read that file.
  return JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
}
