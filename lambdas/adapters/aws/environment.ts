/**
 * Environment variables the constructs set on every function and the local runtime sets on
 * its process. Handlers read their settings only through `readEnvironment`, so a missing
 * variable fails fast with its name instead of deep inside an SDK call.
 */
import { DEFAULT_CONFIG, mergeConfig, type KycConfig, type PartialConfig } from '../../../lib/config.ts';

export const ENV = {
  verificationsTable: 'VERIFICATIONS_TABLE',
  rateLimitsTable: 'RATE_LIMITS_TABLE',
  auditTable: 'AUDIT_TABLE',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  intakeBucket: 'INTAKE_BUCKET',
  vaultBucket: 'VAULT_BUCKET',
  auditArchiveBucket: 'AUDIT_ARCHIVE_BUCKET',
  /** Watermarked views and export packages (short-lived, no Object Lock). */
  renditionsBucket: 'RENDITIONS_BUCKET',
  /** Symmetric CMK for S3 evidence (intake and vault). */
  documentsKeyArn: 'DOCUMENTS_KEY_ARN',
  /** Symmetric CMK for envelope encryption of personal data and DynamoDB tables. */
  dataKeyArn: 'DATA_KEY_ARN',
  /** HMAC KMS key for keyed hashes of document numbers. */
  hmacKeyArn: 'HMAC_KEY_ARN',
  /** Asymmetric KMS key that signs audit digests. */
  auditSigningKeyArn: 'AUDIT_SIGNING_KEY_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  stateMachineArn: 'STATE_MACHINE_ARN',
  faceCollectionId: 'FACE_COLLECTION_ID',
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
  /** JSON of the resolved `KycConfig` (thresholds and limits). */
  config: 'KYC_CONFIG',
} as const;

export type EnvName = keyof typeof ENV;

/** A required environment variable is missing: a deployment or local-runtime defect. */
export class MissingEnvironmentError extends Error {
  constructor(public readonly variable: string) {
    super(`Environment variable ${variable} is not set`);
    this.name = 'MissingEnvironmentError';
  }
}

export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const variable = ENV[name];
  const value = env[variable];
  if (value === undefined || value === '') throw new MissingEnvironmentError(variable);
  return value;
}

/**
 * The configuration the deployment baked in, or the defaults when none was given. Merged onto
 * the defaults, not validated again: `KycFunction` writes only what `resolveConfig` validated at
 * synth (as the local runtime does), and leaving the validation out keeps 8 KB out of every bundle.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): KycConfig {
  const raw = env[ENV.config];
  if (!raw) return DEFAULT_CONFIG;
  return mergeConfig(JSON.parse(raw) as PartialConfig);
}
