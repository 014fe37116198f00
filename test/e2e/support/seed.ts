/**
 * Records seeded into a running local runtime as the functions write them, for end-to-end
 * tests that need a case in a given state without running the whole pipeline: an attempt, and
 * an accepted document whose bytes are in the vault.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { E2eRuntime } from './local-runtime.ts';

/**
 * An attempt record with `status` (reasons `FACE_MISMATCH` when rejected) on both required
 * slots of a Basic passport verification; resolves to its id.
 *
 * @example
 * ```ts
 * const attemptId = await seedAttempt(e2e, verificationId, { status: 'approved' });
 * ```
 */
export async function seedAttempt(
  e2e: E2eRuntime,
  verificationId: string,
  options: { status: string; at?: Date; attemptId?: string },
): Promise<string> {
  const attemptId = options.attemptId ?? randomUUID();
  const at = (options.at ?? new Date()).toISOString();
  await e2e.dynamo.send(
    new PutCommand({
      TableName: e2e.env.VERIFICATIONS_TABLE,
      Item: {
        pk: `V#${verificationId}`,
        sk: `A#${attemptId}`,
        entity: 'attempt',
        verificationId,
        attemptId,
        requiredSlots: ['document_front', 'selfie'],
        status: options.status,
        reasons: options.status === 'rejected' ? ['FACE_MISMATCH'] : [],
        createdAt: at,
        uploadExpiresAt: at,
        updatedAt: at,
      },
    }),
  );
  return attemptId;
}

/**
 * The attempt's passport page (`body`, a JPEG) stored in the vault and recorded as accepted,
 * as on-upload does; `workList` adds the evidence-retention work-list keys on-upload writes.
 * Resolves to the vault key.
 *
 * @example
 * ```ts
 * const key = await seedVaultedDocument(e2e, verificationId, attemptId, { body: jpeg });
 * ```
 */
export async function seedVaultedDocument(
  e2e: E2eRuntime,
  verificationId: string,
  attemptId: string,
  options: { body: Buffer; at?: Date; processors?: readonly string[]; workList?: boolean },
): Promise<string> {
  const key = `evidence/${verificationId}/${attemptId}/document_front`;
  const at = (options.at ?? new Date()).toISOString();
  await e2e.s3.send(
    new PutObjectCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: key, Body: options.body, ContentType: 'image/jpeg' }),
  );
  await e2e.dynamo.send(
    new PutCommand({
      TableName: e2e.env.VERIFICATIONS_TABLE,
      Item: {
        pk: `V#${verificationId}`,
        sk: `A#${attemptId}#D#document_front`,
        entity: 'document',
        verificationId,
        attemptId,
        slot: 'document_front',
        result: 'accepted',
        reasons: [],
        sha256: '0'.repeat(64),
        sizeBytes: options.body.length,
        contentType: 'image/jpeg',
        vaultKey: key,
        metrics: {},
        processors: [...(options.processors ?? ['quality-gate'])],
        recordedAt: at,
        ...(options.workList
          ? { gsi1pk: 'RETENTION#EVIDENCE', gsi1sk: `${at}#${verificationId}#${attemptId}#document_front` }
          : {}),
      },
    }),
  );
  return key;
}
