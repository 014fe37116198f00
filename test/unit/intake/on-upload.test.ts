import { Readable } from 'node:stream';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeS3 } from '../../support/fake-s3.ts';
import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { S3EvidenceStore } from '../../../lambdas/adapters/aws/s3-evidence-store.ts';
import { SfnWorkflowStarter } from '../../../lambdas/adapters/aws/sfn-workflow-starter.ts';
import { createOnUploadHandler, parseIntakeKey } from '../../../lambdas/handlers/events/on-upload.ts';
import { logger } from '../../../lambdas/handlers/shared/logger.ts';
import type { QualityGate, QualityGateVerdict } from '../../../lambdas/ports/quality-gate.ts';
import { FaceDetectorUnavailableError } from '../../../lambdas/ports/face-detector.ts';
import type { Slot } from '../../../lambdas/domain/verification.ts';
import { lambdaContext } from './http-events.ts';
import { FakeAudit, FakeClock, FakeRateLimits, FakeRepository, sampleVerification } from './fakes.ts';
import { sdkCalls } from '../../../local/aws/sdk-calls.ts';
import * as sfnSdk from '@aws-sdk/client-sfn';

const s3 = new FakeS3();
const sfn = mockClient(SFNClient);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(200_000, 7)]);

function objectEvent(key: string, versionId = 'v1'): EventBridgeEvent<'Object Created', unknown> {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-03-01T10:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:s3:::kyc-intake'],
    detail: { bucket: { name: 'kyc-intake' }, object: { key, size: JPEG.length, 'version-id': versionId } },
  };
}

function setup(
  options: {
    verdicts?: Partial<Record<Slot, QualityGateVerdict>>;
    size?: number;
    bytes?: Buffer;
    contentType?: string;
    /** A gate of the test's own instead of the verdicts. */
    gate?: QualityGate;
  } = {},
) {
  const repository = new FakeRepository();
  repository.verifications.set('v-1', sampleVerification({ documentType: 'passport' }));
  repository.attempts.set('v-1/a-1', {
    verificationId: 'v-1',
    attemptId: 'a-1',
    requiredSlots: ['document_front', 'selfie'],
    status: 'awaiting_upload',
    reasons: [],
    createdAt: '2026-03-01T09:59:00.000Z',
    uploadExpiresAt: '2026-03-01T10:04:00.000Z',
    updatedAt: '2026-03-01T09:59:00.000Z',
  });
  const audit = new FakeAudit();
  const rateLimits = new FakeRateLimits();
  const gateCalls: Slot[] = [];
  const qualityGate: QualityGate = async (_bytes, { slot }) => {
    gateCalls.push(slot);
    return (
      options.verdicts?.[slot] ?? {
        accepted: true,
        reasons: [],
        metrics: { blurMm: 0.03 },
        detectedType: 'image/jpeg',
        processors: ['quality-gate'],
      }
    );
  };
  const bytes = options.bytes ?? JPEG;
  // The intake bucket as S3 keeps it: a deleted version is gone for HEAD.
  const deleted = new Set<string>();
  /** How many of the next deletions stop with a crash before they land. */
  const crash = { deletes: 0 };
  const versionOf = (input: { Key?: string; VersionId?: string }) => `${input.Key}@${input.VersionId ?? ''}`;
  s3.on('headObject').callsFake((input: { Key?: string; VersionId?: string }) => {
    if (deleted.has(versionOf(input))) throw Object.assign(new Error('Not Found'), { name: 'NotFound' });
    return {
      ContentLength: options.size ?? bytes.length,
      ContentType: options.contentType ?? 'image/jpeg',
      VersionId: input.VersionId ?? 'v1',
    };
  });
  s3.on('getObject').callsFake(() => ({ Body: Readable.from([bytes]) }));
  s3.on('copyObject').resolves({ VersionId: 'vault-1' });
  s3.on('putObject').resolves({ VersionId: 'vault-put-1' });
  s3.on('deleteObject').callsFake((input: { Key?: string; VersionId?: string }) => {
    if (crash.deletes > 0) {
      crash.deletes -= 1;
      throw new Error('process killed');
    }
    deleted.add(versionOf(input));
    return {};
  });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:1:execution:kyc:a-1' });
  const onUpload = createOnUploadHandler({
    config: DEFAULT_CONFIG,
    repository,
    evidence: new S3EvidenceStore({ vaultBucket: 'kyc-vault', documentsKeyId: 'doc-key', client: s3.client }),
    qualityGate: options.gate ?? qualityGate,
    workflow: new SfnWorkflowStarter({
      stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:kyc',
      client: sdkCalls(new SFNClient({}), sfnSdk),
    }),
    rateLimits,
    audit,
    clock: new FakeClock(),
  });
  const handler = (event: unknown) => onUpload(event as EventBridgeEvent<string, unknown>, lambdaContext);
  return { handler, repository, audit, rateLimits, gateCalls, crash };
}

/** What every write of a document into the vault carries (copy or put). */
const VAULT_WRITE = {
  Bucket: 'kyc-vault',
  Key: 'evidence/v-1/a-1/document_front',
  ChecksumAlgorithm: 'SHA256',
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: 'doc-key',
  ContentType: 'image/jpeg',
};

const rejected = (code: 'PHOTO_TOO_BLURRY' | 'NO_FACE_DETECTED'): QualityGateVerdict => ({
  accepted: false,
  reasons: [code],
  metrics: { blurMm: 0.4 },
  detectedType: 'image/jpeg',
});

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => {
  s3.reset();
  sfn.reset();
});

describe('parseIntakeKey', () => {
  it.each([
    { key: 'intake/v-1/a-1/selfie', parsed: { verificationId: 'v-1', attemptId: 'a-1', slot: 'selfie' } },
    { key: 'intake/v-1/a-1/passport', parsed: undefined },
    { key: 'evidence/v-1/a-1/selfie', parsed: undefined },
    { key: 'intake/v-1/a-1/selfie/extra', parsed: undefined },
    { key: 'intake/../a-1/selfie', parsed: undefined },
  ])('$key', ({ key, parsed }) => {
    // Act + Assess
    expect(parseIntakeKey(key)).toEqual(parsed);
  });
});

describe('on-upload', () => {
  it('keeps only the image of an upload that carries camera media after it (a gain map, a motion video)', async () => {
    // Prepare: the gate found 1000 bytes of appended media after the image.
    const upload = Buffer.concat([JPEG, Buffer.alloc(1000, 0x42)]);
    const { handler, repository } = setup({
      bytes: upload,
      verdicts: {
        document_front: {
          accepted: true,
          reasons: [],
          metrics: { blurMm: 0.03, appendedBytes: 1000 },
          detectedType: 'image/jpeg',
          processors: ['quality-gate'],
          imageBytes: JPEG.length,
        },
      },
    });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(result).toEqual({ outcome: 'accepted', workflowStarted: false });
    expect(s3.calls('copyObject')).toHaveLength(0);
    const put = s3.calls('putObject')[0];
    expect(put).toMatchObject(VAULT_WRITE);
    expect(Buffer.from(put?.Body as Uint8Array).equals(JPEG)).toBe(true);
    expect(repository.documents.get('v-1/a-1/document_front')).toMatchObject({
      result: 'accepted',
      vaultVersionId: 'vault-put-1',
      sizeBytes: upload.length,
      metrics: { appendedBytes: 1000 },
    });
  });

  it('copies an accepted upload to the vault with a checksum, records it and deletes the intake copy', async () => {
    // Prepare
    const { handler, repository, audit } = setup();

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(result).toEqual({ outcome: 'accepted', workflowStarted: false });
    const copy = s3.calls('copyObject')[0];
    expect(copy).toMatchObject({
      ...VAULT_WRITE,
      CopySource: 'kyc-intake/intake/v-1/a-1/document_front?versionId=v1',
      MetadataDirective: 'REPLACE',
      ContentType: 'image/jpeg',
    });
    expect(s3.calls('deleteObject')[0]).toEqual({
      Bucket: 'kyc-intake',
      Key: 'intake/v-1/a-1/document_front',
      VersionId: 'v1',
    });
    expect(repository.documents.get('v-1/a-1/document_front')).toMatchObject({
      result: 'accepted',
      vaultKey: 'evidence/v-1/a-1/document_front',
      vaultVersionId: 'vault-1',
      intakeVersionId: 'v1',
      processors: ['quality-gate'],
      sizeBytes: JPEG.length,
    });
    expect(audit.actions()).toEqual(['document.accepted']);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ["the sniffed type over the uploader's", 'image/png', 'accepted', 'image/png'],
    ['no copy at all when the bytes have no recognised type', undefined, 'rejected', undefined],
  ])('gives the vault copy %s', async (_name, detectedType, outcome, copiedType) => {
    // Prepare
    const verdict = { accepted: true, reasons: [], metrics: {}, processors: ['quality-gate'], detectedType };
    const { handler } = setup({ verdicts: { document_front: verdict } });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(result).toMatchObject({ outcome });
    expect(s3.calls('copyObject')[0]?.ContentType).toBe(copiedType);
  });

  it('rejects the attempt and the verification, remembers the hash and counts a failure', async () => {
    // Prepare
    const { handler, repository, audit, rateLimits } = setup({ verdicts: { selfie: rejected('NO_FACE_DETECTED') } });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'rejected', reasons: ['NO_FACE_DETECTED'] });
    expect(s3.calls('copyObject')).toHaveLength(0);
    expect(s3.calls('deleteObject')).toHaveLength(1);
    expect(repository.rejectedImages.size).toBe(1);
    expect(repository.attempts.get('v-1/a-1')).toMatchObject({ status: 'rejected', reasons: ['NO_FACE_DETECTED'] });
    expect(repository.verifications.get('v-1')).toMatchObject({
      status: 'rejected',
      reasons: ['NO_FACE_DETECTED'],
      consecutiveFailures: 1,
    });
    expect(rateLimits.outcomes).toEqual([{ userId: 'user-1', attemptId: 'a-1', outcome: 'failed' }]);
    expect(audit.actions()).toEqual(['document.rejected', 'attempt.rejected']);
  });

  /** Records every repository write the handler makes (outermost calls only) and what a reader sees right after it. */
  function watchWrites(repository: FakeRepository): { write: string; attempt?: string; verification?: string }[] {
    const seen: { write: string; attempt?: string; verification?: string }[] = [];
    let depth = 0;
    for (const name of ['transitionAttempt', 'updateVerification', 'transitionAttemptAndVerification'] as const) {
      const write = (repository[name] as (...args: unknown[]) => Promise<unknown>).bind(repository);
      Object.assign(repository, {
        [name]: async (...args: unknown[]) => {
          depth += 1;
          try {
            return await write(...args);
          } finally {
            depth -= 1;
            if (depth === 0) {
              seen.push({
                write: name,
                attempt: repository.attempts.get('v-1/a-1')?.status,
                verification: repository.verifications.get('v-1')?.status,
              });
            }
          }
        },
      });
    }
    return seen;
  }

  it('rejects the attempt and its verification in one write, so no reader sees one without the other', async () => {
    // Prepare
    const { handler, repository } = setup({ verdicts: { selfie: rejected('NO_FACE_DETECTED') } });
    const seen = watchWrites(repository);

    // Act
    await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(seen).toEqual([
      { write: 'transitionAttemptAndVerification', attempt: 'rejected', verification: 'rejected' },
    ]);
  });

  it('moves the attempt and its verification to processing in one write when the last slot is in', async () => {
    // Prepare
    const { handler, repository } = setup();
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    const seen = watchWrites(repository);

    // Act
    await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(seen).toEqual([
      { write: 'transitionAttemptAndVerification', attempt: 'processing', verification: 'processing' },
    ]);
  });

  it("reads the verification with its attempts and their documents, and the object's head, in one round", async () => {
    // Prepare: log when each read starts and ends
    const { handler, repository } = setup();
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    const log: string[] = [];
    const watched =
      <A extends unknown[], R>(name: string, read: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        log.push(`start ${name}`);
        const result = await read(...args);
        log.push(`end ${name}`);
        return result;
      };
    repository.getVerificationWithAttempts = watched(
      'verification with attempts',
      repository.getVerificationWithAttempts.bind(repository),
    );
    repository.listDocuments = watched('documents', repository.listDocuments.bind(repository));
    const head = s3.calls('headObject').length;
    s3.on('headObject').callsFake(() => {
      log.push('start head');
      return { ContentLength: JPEG.length, ContentType: 'image/jpeg', VersionId: 'v1' };
    });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess: both first reads start before either ends, and the workflow starts
    expect(result).toEqual({ outcome: 'accepted', workflowStarted: true });
    expect(log.slice(0, 2).sort()).toEqual(['start head', 'start verification with attempts']);
    expect(s3.calls('headObject').length - head).toBe(1);
    expect(log.filter((entry) => entry === 'start documents')).toHaveLength(1);
  });

  it('fails a delivery whose documents read fails only after its acceptance event is written', async () => {
    // Prepare: the event is written slowly, the documents read fails at once
    const { handler, repository, audit } = setup();
    const append = audit.append.bind(audit);
    const written: string[] = [];
    audit.append = async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const stored = await append(event);
      written.push(event.action);
      return stored;
    };
    repository.listDocuments = async () => {
      throw new Error('throttled');
    };

    // Act
    const delivery = handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess: the failure waits for the append; the intake copy stays for the next delivery
    await expect(delivery).rejects.toThrow('throttled');
    expect(written).toEqual(['document.accepted']);
    expect(s3.calls('deleteObject')).toHaveLength(0);
  });

  it('fails the delivery, recording nothing and keeping the upload, when the face detector is unavailable', async () => {
    // Prepare: the gate's detector is throttled beyond the SDK's own retries
    const { handler, repository, rateLimits } = setup({
      gate: async () => {
        throw new FaceDetectorUnavailableError('rekognition:DetectFaces', {
          cause: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
        });
      },
    });

    // Act
    const delivery = handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess: retried later as it is; nothing refused, counted or deleted
    await expect(delivery).rejects.toBeInstanceOf(FaceDetectorUnavailableError);
    expect(repository.documents.size).toBe(0);
    expect(repository.attempts.get('v-1/a-1')?.status).toBe('awaiting_upload');
    expect(rateLimits.outcomes).toEqual([]);
    expect(s3.calls('deleteObject')).toHaveLength(0);
    expect(s3.calls('copyObject')).toHaveLength(0);
  });

  it('moves the attempt and the verification again when the verification changed in between', async () => {
    // Prepare: another writer changes the verification right after the handler first reads it
    const { handler, repository } = setup({ verdicts: { selfie: rejected('NO_FACE_DETECTED') } });
    const read = repository.getVerification.bind(repository);
    let reads = 0;
    repository.getVerification = async (id: string) => {
      const record = await read(id);
      reads += 1;
      if (reads === 2 && record) {
        // The first read is the handler's at the start; the second is the rejection's.
        await repository.updateVerification(id, record.version, { riskFlags: ['document_switching'] });
      }
      return record;
    };

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess: rejected together on the second try, on top of the other writer's change
    expect(result).toEqual({ outcome: 'rejected', reasons: ['NO_FACE_DETECTED'] });
    expect(repository.attempts.get('v-1/a-1')?.status).toBe('rejected');
    expect(repository.verifications.get('v-1')).toMatchObject({ status: 'rejected', version: 3 });
    expect(repository.counters).toHaveLength(1);
  });

  it('puts the verification into cooldown on the third consecutive failure', async () => {
    // Prepare
    const { handler, repository, rateLimits } = setup({ verdicts: { selfie: rejected('NO_FACE_DETECTED') } });
    await rateLimits.recordOutcome('user-1', 'old-1', 'failed', new Date('2026-03-01T09:00:00Z'));
    await rateLimits.recordOutcome('user-1', 'old-2', 'failed', new Date('2026-03-01T09:30:00Z'));

    // Act
    await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(repository.verifications.get('v-1')).toMatchObject({
      status: 'cooldown',
      cooldownUntil: expect.any(String),
    });
  });

  it('handles a duplicate event without processing it twice', async () => {
    // Prepare
    const { handler, audit, gateCalls } = setup();
    await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Act
    const again = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(again).toEqual({ outcome: 'duplicate' });
    expect(gateCalls).toEqual(['document_front']);
    expect(s3.calls('copyObject')).toHaveLength(1);
    // The first delivery deleted the intake copy; the duplicate finds it gone.
    expect(s3.calls('deleteObject')).toHaveLength(1);
    expect(audit.actions()).toEqual(['document.accepted', 'upload.duplicate']);
  });

  it.each([
    { name: 'not an intake key', key: 'other/file.jpg', reason: 'key_not_an_attempt_slot' },
    { name: 'unknown attempt', key: 'intake/v-1/a-999/selfie', reason: 'unknown_attempt' },
    { name: 'unknown verification', key: 'intake/v-9/a-1/selfie', reason: 'unknown_attempt' },
    { name: 'slot the attempt lacks', key: 'intake/v-1/a-1/document_back', reason: 'slot_not_required' },
  ])('ignores $name with an audit event', async ({ key, reason }) => {
    // Prepare
    const { handler, audit, gateCalls } = setup();

    // Act
    const result = await handler(objectEvent(key));

    // Assess
    expect(result).toEqual({ outcome: 'ignored', reason });
    expect(gateCalls).toHaveLength(0);
    expect(audit.events).toEqual([expect.objectContaining({ action: 'upload.ignored', reason })]);
    expect(s3.calls('copyObject')).toHaveLength(0);
  });

  it('ignores an upload arriving after the attempt was rejected', async () => {
    // Prepare
    const { handler, gateCalls } = setup({ verdicts: { selfie: rejected('NO_FACE_DETECTED') } });
    await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Act
    const late = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(late).toEqual({ outcome: 'ignored', reason: 'attempt_closed' });
    expect(gateCalls).toEqual(['selfie']);
  });

  it.each([
    {
      name: 'the verification is approved and frozen',
      arrange: (repository: FakeRepository) =>
        repository.verifications.set('v-1', {
          ...sampleVerification({ documentType: 'passport' }),
          status: 'approved',
          frozen: true,
        }),
      reason: 'verification_frozen',
    },
    {
      name: 'the attempt was superseded',
      arrange: (repository: FakeRepository) =>
        repository.attempts.set('v-1/a-1', { ...repository.attempts.get('v-1/a-1')!, status: 'superseded' }),
      reason: 'attempt_superseded',
    },
    {
      name: 'a newer attempt exists',
      arrange: (repository: FakeRepository) =>
        repository.attempts.set('v-1/a-2', {
          ...repository.attempts.get('v-1/a-1')!,
          attemptId: 'a-2',
          createdAt: '2026-03-01T10:01:00.000Z',
        }),
      reason: 'attempt_superseded',
    },
  ])('refuses and destroys a late upload when $name: audited, never vaulted', async ({ arrange, reason }) => {
    // Prepare
    const { handler, repository, audit, gateCalls } = setup();
    arrange(repository);
    const before = await repository.getVerification('v-1');

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'refused', reason });
    expect(s3.calls('copyObject')).toHaveLength(0);
    expect(s3.calls('deleteObject')[0]).toMatchObject({
      Bucket: 'kyc-intake',
      Key: 'intake/v-1/a-1/selfie',
      VersionId: 'v1',
    });
    expect(audit.events.at(-1)).toMatchObject({ action: 'upload.refused', reason });
    expect(gateCalls).toEqual([]);
    expect(await repository.getDocument('v-1', 'a-1', 'selfie')).toBeUndefined();
    expect(await repository.getVerification('v-1')).toEqual(before);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    { name: 'oversized', size: 11 * 1024 * 1024, code: 'FILE_TOO_LARGE' },
    { name: 'undersized', size: 50 * 1024, code: 'FILE_TOO_SMALL' },
  ])('rejects an $name object without reading it', async ({ size, code }) => {
    // Prepare
    const { handler, gateCalls } = setup({ size });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'rejected', reasons: [code] });
    expect(s3.calls('getObject')).toHaveLength(0);
    expect(gateCalls).toHaveLength(0);
  });

  it.each([
    { contentType: 'image/jpeg', outcome: { outcome: 'rejected', reasons: ['FILE_TOO_SMALL'] }, gate: [] },
    // PDFs have no photo-resolution floor: the gate reads the type from the bytes and decides.
    { contentType: 'application/pdf', outcome: { outcome: 'accepted' }, gate: ['document_front'] },
  ])('applies the size floor of the declared type ($contentType, 2 KB)', async ({ contentType, outcome, gate }) => {
    // Prepare
    const small = Buffer.alloc(2048, 1);
    const { handler, gateCalls } = setup({ bytes: small, contentType });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(result, JSON.stringify(result)).toMatchObject(outcome);
    expect(gateCalls).toEqual(gate);
  });

  it('rejects an object that grew beyond the limit after the head', async () => {
    // Prepare
    const { handler } = setup({ bytes: Buffer.alloc(DEFAULT_CONFIG.uploads.maxFileBytes + 10), size: 200_000 });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'rejected', reasons: ['FILE_TOO_LARGE'] });
  });

  it('rejects the very same file at once when it failed before', async () => {
    // Prepare
    const { handler, repository, gateCalls } = setup();
    const sha = (await import('node:crypto')).createHash('sha256').update(JPEG).digest('hex');
    await repository.rememberRejectedImage('v-1', sha);

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'rejected', reasons: ['IMAGE_ALREADY_REJECTED'] });
    expect(gateCalls).toHaveLength(0);
  });

  it('rejects a slot that would push the attempt over the total size limit', async () => {
    // Prepare
    const { handler, repository } = setup();
    await repository.createDocument({
      verificationId: 'v-1',
      attemptId: 'a-1',
      slot: 'document_front',
      result: 'accepted',
      reasons: [],
      sha256: 'x',
      sizeBytes: DEFAULT_CONFIG.uploads.maxAttemptBytes - 100_000,
      contentType: 'image/jpeg',
      metrics: {},
      processors: [],
      recordedAt: '',
    });

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'rejected', reasons: ['ATTEMPT_TOO_LARGE'] });
  });

  it('starts the workflow once when every slot is in', async () => {
    // Prepare
    const { handler, repository, audit } = setup();

    // Act
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    const last = await handler(objectEvent('intake/v-1/a-1/selfie'));
    const duplicate = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(last).toEqual({ outcome: 'accepted', workflowStarted: true });
    expect(duplicate.outcome).toBe('duplicate');
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.args[0].input).toMatchObject({ name: 'a-1' });
    expect(JSON.parse(starts[0]?.args[0].input.input ?? '{}')).toEqual({ verificationId: 'v-1', attemptId: 'a-1' });
    expect(repository.attempts.get('v-1/a-1')?.status).toBe('processing');
    expect(repository.verifications.get('v-1')?.status).toBe('processing');
    expect(audit.actions()).toContain('workflow.started');
  });

  it('treats an existing execution as already started', async () => {
    // Prepare
    const { handler } = setup();
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(result).toEqual({ outcome: 'accepted', workflowStarted: false });
  });

  it('throws when the vault copy fails, recording and deleting nothing', async () => {
    // Prepare
    const { handler, repository, audit } = setup();
    s3.on('copyObject').rejects(new Error('SlowDown'));

    // Act
    const run = handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    await expect(run).rejects.toThrow('SlowDown');
    expect(s3.calls('deleteObject')).toHaveLength(0);
    expect(repository.documents.size).toBe(0);
    expect(audit.events).toHaveLength(0);
  });

  it('processes the event again after a failed try', async () => {
    // Prepare
    const { handler, repository } = setup();
    s3.on('copyObject').rejectsOnce(new Error('SlowDown')).resolves({ VersionId: 'vault-2' });
    await expect(handler(objectEvent('intake/v-1/a-1/document_front'))).rejects.toThrow();

    // Act
    const retry = await handler(objectEvent('intake/v-1/a-1/document_front'));

    // Assess
    expect(retry.outcome).toBe('accepted');
    expect(repository.documents.get('v-1/a-1/document_front')?.vaultVersionId).toBe('vault-2');
  });

  it('finishes an upload whose delivery stopped after the record, before the workflow started', async () => {
    // Prepare
    const { handler, repository, gateCalls } = setup();
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new Error('process killed'))
      .resolves({ executionArn: 'arn:aws:states:eu-west-1:1:execution:kyc:a-1' });
    await expect(handler(objectEvent('intake/v-1/a-1/selfie'))).rejects.toThrow('process killed');
    const deletesBefore = s3.calls('deleteObject').length;

    // Act
    const again = await handler(objectEvent('intake/v-1/a-1/selfie'));
    const thenDuplicate = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(deletesBefore).toBe(1);
    expect(again).toEqual({ outcome: 'accepted', workflowStarted: true });
    expect(thenDuplicate).toEqual({ outcome: 'duplicate' });
    expect(gateCalls).toEqual(['document_front', 'selfie']);
    expect(s3.calls('copyObject')).toHaveLength(2);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
    expect(s3.calls('deleteObject')).toHaveLength(2);
    expect(repository.attempts.get('v-1/a-1')?.status).toBe('processing');
  });

  it('counts the recorded upload, without refusing it, when it comes again after the case was decided', async () => {
    // Prepare: the last upload's delivery stops after the workflow start, before the intake copy
    // is deleted; the case is then approved before the event comes again.
    const { handler, repository, audit, crash } = setup();
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    crash.deletes = 1;
    await expect(handler(objectEvent('intake/v-1/a-1/selfie'))).rejects.toThrow('process killed');
    const verification = repository.verifications.get('v-1');
    repository.verifications.set('v-1', { ...verification!, status: 'approved', frozen: true });

    // Act
    const again = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(again).toEqual({ outcome: 'duplicate' });
    expect(audit.actions()).not.toContain('upload.refused');
    expect(audit.actions().at(-1)).toBe('upload.duplicate');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    const deletes = s3.calls('deleteObject').map((input) => input.Key);
    expect(deletes).toEqual(['intake/v-1/a-1/document_front', 'intake/v-1/a-1/selfie', 'intake/v-1/a-1/selfie']);
  });

  it('finishes a rejection whose delivery stopped before the failure was counted', async () => {
    // Prepare
    const { handler, repository, rateLimits, audit } = setup({ verdicts: { selfie: rejected('NO_FACE_DETECTED') } });
    const record = rateLimits.recordOutcome.bind(rateLimits);
    let calls = 0;
    rateLimits.recordOutcome = async (...args: Parameters<typeof record>) => {
      calls += 1;
      if (calls === 1) throw new Error('process killed');
      return record(...args);
    };
    await expect(handler(objectEvent('intake/v-1/a-1/selfie'))).rejects.toThrow('process killed');

    // Act
    const again = await handler(objectEvent('intake/v-1/a-1/selfie'));

    // Assess
    expect(again).toEqual({ outcome: 'rejected', reasons: ['NO_FACE_DETECTED'] });
    expect(rateLimits.outcomes).toEqual([{ userId: 'user-1', attemptId: 'a-1', outcome: 'failed' }]);
    expect(repository.verifications.get('v-1')?.status).toBe('rejected');
    expect(audit.actions().filter((action) => action === 'attempt.rejected')).toHaveLength(1);
    expect(s3.calls('deleteObject')).toHaveLength(1);
  });

  it.each([
    { name: 'the same bytes (the reconciler re-drive copy)', same: true, outcome: { outcome: 'accepted' } },
    {
      name: 'other bytes (a second upload to the slot)',
      same: false,
      outcome: { outcome: 'ignored', reason: 'slot_already_recorded' },
    },
  ])('under a new version, treats $name by content', async ({ same, outcome }) => {
    // Prepare
    const { handler, gateCalls } = setup();
    sfn
      .on(StartExecutionCommand)
      .rejectsOnce(new Error('process killed'))
      .resolves({ executionArn: 'arn:aws:states:eu-west-1:1:execution:kyc:a-1' });
    await handler(objectEvent('intake/v-1/a-1/document_front'));
    await expect(handler(objectEvent('intake/v-1/a-1/selfie'))).rejects.toThrow('process killed');
    const other = Buffer.from(JPEG.map((byte, i) => (i === JPEG.length - 3 ? byte ^ 0xff : byte)));
    if (!same) s3.on('getObject').callsFake(() => ({ Body: Readable.from([other]) }));

    // Act
    const result = await handler(objectEvent('intake/v-1/a-1/selfie', 'v2'));

    // Assess
    expect(result).toMatchObject(outcome);
    expect(gateCalls).toEqual(['document_front', 'selfie']);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(same ? 2 : 1);
  });

  it.each([
    { name: 'no detail', event: { source: 'aws.s3', 'detail-type': 'Object Created' } },
    { name: 'other source', event: { ...objectEvent('intake/v-1/a-1/selfie'), source: 'custom' } },
    { name: 'null', event: null },
  ])('drops a malformed event ($name) without throwing', async ({ event }) => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(event as never);

    // Assess
    expect(result).toEqual({ outcome: 'malformed', reason: 'event_shape' });
    expect(s3.callCount()).toBe(0);
  });
});
