import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import type { AccessRecord } from '../../../lambdas/domain/evidence-access.ts';
import type {
  AttemptRecord,
  AuditEvent,
  AuditEventInput,
  DocumentRecord,
  VerificationRecord,
} from '../../../lambdas/domain/records.ts';
import type { FoundTextLine } from '../../../lambdas/domain/redaction.ts';
import { createSupportViewHandler, firstNameOf } from '../../../lambdas/handlers/http/support-verification.ts';
import { KeyedWatermarker } from '../../../lambdas/rendition/kms-watermarker.ts';
import type { DetectedFace } from '../../../lambdas/ports/face-detector.ts';
import { hmacKey } from '../../support/watermark-images.ts';
import { FakeClock } from '../../support/workflow-fakes.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const watermarker = new KeyedWatermarker(hmacKey('support view unit test'));

/** A document-like page: a dark "portrait" block on the left, text-like bars on the right. */
async function page(): Promise<Buffer> {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="700"><rect width="1000" height="700" fill="#f4f1e8"/>' +
    '<rect x="60" y="120" width="260" height="330" fill="#553322"/>' +
    '<rect x="420" y="150" width="400" height="30" fill="#111"/><rect x="40" y="560" width="900" height="40" fill="#000"/></svg>';
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

function setup(options: { auditFails?: boolean; withDocument?: boolean; detectorsFail?: boolean } = {}) {
  const calls: string[] = [];
  const audited: AuditEventInput[] = [];
  const accesses: AccessRecord[] = [];
  const stored = new Map<string, Buffer>();
  const document: DocumentRecord = {
    verificationId: 'v-1',
    attemptId: 'a-1',
    slot: 'document_front',
    result: 'accepted',
    reasons: [],
    sha256: '0'.repeat(64),
    sizeBytes: 1000,
    contentType: 'image/jpeg',
    vaultKey: 'evidence/v-1/a-1/document_front',
    metrics: {},
    processors: [],
    recordedAt: NOW.toISOString(),
  };
  const attempt = {
    verificationId: 'v-1',
    attemptId: 'a-1',
    requiredSlots: ['document_front', 'selfie'],
    status: 'rejected',
    reasons: ['FACE_NOT_MATCH'],
    createdAt: NOW.toISOString(),
    uploadExpiresAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
  } as AttemptRecord;
  const faces: DetectedFace[] = [{ box: { left: 0.06, top: 0.17, width: 0.26, height: 0.47 }, confidence: 99 }];
  const lines: FoundTextLine[] = [
    { text: 'Document no. 910023757', box: { left: 0.42, top: 0.21, width: 0.4, height: 0.04 } },
    { text: 'P<GBRMARTIN<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<', box: { left: 0.04, top: 0.8, width: 0.9, height: 0.06 } },
  ];
  let detectorCalls = 0;
  const verification = {
    verificationId: 'v-1',
    userId: 'owner',
    level: 'basic',
    documentType: 'passport',
    status: 'rejected',
    reasons: ['FACE_NOT_MATCH'],
    personalData: { keyId: 'k' },
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
  } as unknown as VerificationRecord;
  const handler = createSupportViewHandler({
    verifications: {
      getVerification: async (id: string) => (id === 'v-1' ? verification : undefined),
      getVerificationWithAttempts: async (id: string) =>
        id === 'v-1'
          ? { verification, attempts: [{ attempt, documents: options.withDocument === false ? [] : [document] }] }
          : { verification: undefined, attempts: [] },
    },
    records: {
      putAccess: async (record: AccessRecord) => {
        calls.push('putAccess');
        accesses.push(record);
      },
      getAccess: async () => undefined,
      createExport: async () => undefined,
      getExport: async () => undefined,
      updateExport: async () => false,
      consumeDownload: async () => false,
    },
    objects: {
      readOriginal: async () => {
        calls.push('readOriginal');
        return page();
      },
      putRendition: async (key: string, body: Buffer) => {
        calls.push(`putRendition:${key.split('/')[0]}`);
        stored.set(key, body);
      },
      presignRendition: async (key: string, seconds: number) =>
        `https://renditions.invalid/${key}?X-Amz-Expires=${seconds}`,
    },
    audit: {
      append: async (input: AuditEventInput): Promise<AuditEvent> => {
        calls.push(`audit:${input.action}`);
        if (options.auditFails) throw new Error('audit table unavailable');
        audited.push(input);
        return { ...input, sequence: audited.length, at: NOW.toISOString(), previousHash: '', hash: '' };
      },
      list: async () => [],
    },
    personalData: {
      open: async () => {
        calls.push('openPersonalData');
        return { fullName: 'ANNA MARIA MARTIN', dateOfBirth: '1990-01-01', address: '1 High St' };
      },
    },
    watermarker,
    config: DEFAULT_CONFIG,
    clock: new FakeClock(NOW),
    detectorsFor: () => ({
      faces: {
        processorName: 'fake',
        detectFaces: async () => {
          if (options.detectorsFail) throw new Error('Rekognition unavailable');
          // The first call sees the page; the check of the redacted thumbnail finds nothing.
          return detectorCalls++ === 0 ? faces : [];
        },
      },
      text: { processorName: 'fake', detectLines: async () => (detectorCalls <= 1 ? lines : []) },
    }),
  });
  const request = (id = 'v-1', groups = ['support'], userId = 'sam') =>
    handler(
      httpEvent({
        path: `/v1/support/verifications/${id}`,
        groups,
        userId,
        pathParameters: { verificationId: id },
        headers: { 'accept-language': 'zh-CN' },
      }),
      lambdaContext,
    );
  return { calls, audited, accesses, stored, request };
}

describe('GET /v1/support/verifications/{verificationId}', () => {
  it('audits first, then records the access, renders the thumbnail, and answers the first name only', async () => {
    // Prepare
    const world = setup();

    // Act
    const response = await world.request();
    const body = parse(response);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(world.calls).toEqual([
      'audit:support.verification_viewed',
      'putAccess',
      'readOriginal',
      'putRendition:support',
      'openPersonalData',
    ]);
    expect(body).toMatchObject({ status: 'rejected', firstName: 'ANNA', documentType: 'passport' });
    expect((body.reasons as Array<{ code: string; message: string }>)[0]?.message).toMatch(/[\u4e00-\u9fff]/);
    const thumbnail = body.thumbnail as {
      accessId: string;
      url: string;
      width: number;
      height: number;
      redaction: string;
    };
    expect(thumbnail).toMatchObject({ width: 320, height: 320, redaction: 'regions' });
    expect(thumbnail.url).toMatch(/X-Amz-Expires=60$/);
    expect(JSON.stringify(body)).not.toMatch(/evidence\/|vaultKey|MARIA|MARTIN|1990/);
    expect(world.accesses[0]).toMatchObject({
      kind: 'support_thumbnail',
      accessId: thumbnail.accessId,
      actorRole: 'support',
    });
    expect(world.audited[0]).toMatchObject({
      actor: 'support:sam',
      details: expect.objectContaining({ accessId: thumbnail.accessId }),
    });
    const image = [...world.stored.values()][0]!;
    expect(await sharp(image).metadata()).toMatchObject({ width: 320, height: 320, format: 'jpeg' });
    expect((await watermarker.detect(image))?.accessId).toBe(thumbnail.accessId);
  });

  it('pixelates the whole image when the detectors fail', async () => {
    // Act
    const body = parse(await setup({ detectorsFail: true }).request());

    // Assess
    expect(body.thumbnail).toMatchObject({ redaction: 'whole_image' });
  });

  it('answers without a thumbnail when no document front is in the vault', async () => {
    // Prepare
    const world = setup({ withDocument: false });

    // Act
    const body = parse(await world.request());

    // Assess
    expect(body.thumbnail).toBeNull();
    expect(world.calls).toEqual(['audit:support.verification_viewed', 'openPersonalData']);
  });

  it('answers 500 and reads nothing when the audit event cannot be written', async () => {
    // Prepare
    const world = setup({ auditFails: true });

    // Act
    const response = await world.request();

    // Assess
    expect(response.statusCode).toBe(500);
    expect(world.calls).toEqual(['audit:support.verification_viewed']);
  });

  it('answers 403 OWN_VERIFICATION to a support member who is the subject, before any audit, decryption or read', async () => {
    // Prepare: v-1 belongs to `owner`, who also holds the support role.
    const world = setup();

    // Act
    const response = await world.request('v-1', ['support'], 'owner');

    // Assess
    expect(response.statusCode).toBe(403);
    expect(parse(response)).toEqual({ code: 'OWN_VERIFICATION', message: expect.any(String) });
    expect(world.calls).toEqual([]);
    expect(world.audited).toEqual([]);
    expect(world.accesses).toEqual([]);
  });

  it.each([
    ['an unknown verification', 'v-2', ['support'], 404],
    ['a malformed id (path parameter middleware)', '..%2Fvault', ['support'], 400],
    ['an admin', 'v-1', ['admin'], 403],
    ['a compliance reviewer', 'v-1', ['compliance_reviewer'], 403],
  ])('refuses %s', async (_case, id, groups, status) => {
    // Prepare
    const world = setup();

    // Act
    const response = await world.request(id, groups);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(world.calls).toEqual([]);
  });
});

describe('firstNameOf', () => {
  it.each([
    ['ANNA MARIA MARTIN', 'ANNA'],
    ['  Kenji  Tanaka ', 'Kenji'],
    ['', null],
  ])('%j -> %j', (name, expected) => {
    // Act / Assess
    expect(firstNameOf(name)).toBe(expected);
  });
});
