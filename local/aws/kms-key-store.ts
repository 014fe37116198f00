/**
 * Keys of the local KMS, kept as one JSON file per key in `<dataDir>/keys/` (mode 0600,
 * folder 0700: the files hold key material) plus `<dataDir>/aliases.json`.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCOUNT_ID } from './client-config.ts';
import { AwsServiceError } from './json-protocol-server.ts';

/** Key specs the local KMS supports. */
export type LocalKeySpec = 'SYMMETRIC_DEFAULT' | 'HMAC_256' | 'ECC_NIST_P256';
/** Key usages matching {@link LocalKeySpec}. */
export type LocalKeyUsage = 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC' | 'SIGN_VERIFY';

export const KEY_USAGE_BY_SPEC: Readonly<Record<LocalKeySpec, LocalKeyUsage>> = {
  SYMMETRIC_DEFAULT: 'ENCRYPT_DECRYPT',
  HMAC_256: 'GENERATE_VERIFY_MAC',
  ECC_NIST_P256: 'SIGN_VERIFY',
};

/** One stored key. `material` is base64 (AES/HMAC key) or a PKCS#8 PEM (EC private key). */
export interface StoredKey {
  keyId: string;
  arn: string;
  keySpec: LocalKeySpec;
  keyUsage: LocalKeyUsage;
  description: string;
  creationDate: number;
  material: string;
  /** Automatic rotation as configured (`EnableKeyRotation`); absent: off. The local KMS never rotates material. */
  rotationPeriodInDays?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(alias\/.+)$/;

export const isKeySpec = (value: unknown): value is LocalKeySpec =>
  value === 'SYMMETRIC_DEFAULT' || value === 'HMAC_256' || value === 'ECC_NIST_P256';

function notFound(keyId: string): AwsServiceError {
  return new AwsServiceError('NotFoundException', `Key '${keyId}' does not exist`);
}

function newMaterial(spec: LocalKeySpec): string {
  if (spec === 'ECC_NIST_P256') {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
  return randomBytes(32).toString('base64');
}

/** The key store of one local KMS. */
export class KmsKeyStore {
  private readonly keysDir: string;
  private readonly aliasesFile: string;
  private readonly keys = new Map<string, StoredKey>();
  private aliases: Record<string, string> = {};

  constructor(
    dataDir: string,
    private readonly region: string,
  ) {
    this.keysDir = join(dataDir, 'keys');
    this.aliasesFile = join(dataDir, 'aliases.json');
    mkdirSync(this.keysDir, { recursive: true, mode: 0o700 });
    chmodSync(this.keysDir, 0o700);
    for (const file of readdirSync(this.keysDir)) {
      if (!file.endsWith('.json')) continue;
      const key = JSON.parse(readFileSync(join(this.keysDir, file), 'utf8')) as StoredKey;
      this.keys.set(key.keyId, key);
    }
    if (existsSync(this.aliasesFile)) {
      this.aliases = JSON.parse(readFileSync(this.aliasesFile, 'utf8')) as Record<string, string>;
    }
  }

  arnOf(keyId: string): string {
    return `arn:aws:kms:${this.region}:${LOCAL_ACCOUNT_ID}:key/${keyId}`;
  }

  aliasArnOf(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${LOCAL_ACCOUNT_ID}:${aliasName}`;
  }

  /** Creates a key; `keyId` must be a UUID (default: a new one). */
  create(spec: LocalKeySpec, description = '', keyId: string = randomUUID()): StoredKey {
    if (!UUID.test(keyId)) throw new AwsServiceError('ValidationException', 'KeyId must be a UUID');
    if (this.keys.has(keyId)) throw new AwsServiceError('AlreadyExistsException', `Key '${keyId}' already exists`);
    const key: StoredKey = {
      keyId,
      arn: this.arnOf(keyId),
      keySpec: spec,
      keyUsage: KEY_USAGE_BY_SPEC[spec],
      description,
      creationDate: Math.floor(Date.now() / 1000),
      material: newMaterial(spec),
    };
    this.writeAtomically(join(this.keysDir, `${keyId}.json`), JSON.stringify(key));
    this.keys.set(keyId, key);
    return key;
  }

  /** Resolves a key id, key ARN, alias name or alias ARN; throws NotFoundException. */
  resolve(reference: string): StoredKey {
    const aliasArn = ALIAS_ARN.exec(reference);
    const aliasName = aliasArn?.[1] ?? (reference.startsWith('alias/') ? reference : undefined);
    if (aliasName) {
      const target = this.aliases[aliasName];
      const key = target ? this.keys.get(target) : undefined;
      if (!key) throw new AwsServiceError('NotFoundException', `Alias '${aliasName}' does not exist`);
      return key;
    }
    const keyId = KEY_ARN.exec(reference)?.[3] ?? reference;
    const key = this.keys.get(keyId);
    if (!key) throw notFound(reference);
    return key;
  }

  /** Turns automatic rotation on (`periodInDays`) or off (`undefined`) and saves the key. */
  setRotation(key: StoredKey, periodInDays: number | undefined): void {
    const updated: StoredKey = { ...key };
    if (periodInDays === undefined) delete updated.rotationPeriodInDays;
    else updated.rotationPeriodInDays = periodInDays;
    this.writeAtomically(join(this.keysDir, `${key.keyId}.json`), JSON.stringify(updated));
    this.keys.set(key.keyId, updated);
  }

  /** Every key, oldest first (what `kms list-keys` shows). */
  list(): StoredKey[] {
    return [...this.keys.values()].sort((a, b) => a.creationDate - b.creationDate || a.keyId.localeCompare(b.keyId));
  }

  /** The key with this exact id, if any. */
  find(keyId: string): StoredKey | undefined {
    return this.keys.get(keyId);
  }

  createAlias(aliasName: string, targetKey: StoredKey): void {
    if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName) || aliasName.startsWith('alias/aws/')) {
      throw new AwsServiceError(
        'ValidationException',
        'AliasName must match alias/[a-zA-Z0-9/_-]+ and not start with alias/aws/',
      );
    }
    if (this.aliases[aliasName])
      throw new AwsServiceError('AlreadyExistsException', `Alias '${aliasName}' already exists`);
    this.aliases[aliasName] = targetKey.keyId;
    this.writeAtomically(this.aliasesFile, JSON.stringify(this.aliases, null, 2));
  }

  listAliases(keyId?: string): { aliasName: string; targetKeyId: string }[] {
    return Object.entries(this.aliases)
      .filter(([, target]) => keyId === undefined || target === keyId)
      .map(([aliasName, targetKeyId]) => ({ aliasName, targetKeyId }));
  }

  private writeAtomically(path: string, content: string): void {
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, content, { mode: 0o600 });
    renameSync(temporary, path);
  }
}
