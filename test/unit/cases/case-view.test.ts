import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import type {
  AttemptRecord,
  AuditEvent,
  AuditEventInput,
  DocumentRecord,
  VerificationRecord,
} from '../../../lambdas/domain/records.ts';
import { createCaseAuditHandler } from '../../../lambdas/handlers/http/case-audit.ts';
import { checkResultView, createGetCaseHandler } from '../../../lambdas/handlers/http/get-case.ts';
import type { CaseRecords } from '../../../lambdas/ports/case-store.ts';
import type { CheckRecord } from '../../../lambdas/ports/workflow-store.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const at = NOW.toISOString();

/**
 * The shapes of the project's object keys (`lambdas/adapters/aws/*`, `lambdas/domain/evidence-access.ts`):
 * intake uploads, vault evidence, liveness session images, renditions, exports, subject-access
 * packages; and anything that names an image file, a bucket URL or a link.
 */
const STORAGE_KEY_VALUE =
  /^(intake|evidence|liveness|views|support|exports|subject-access)\/|(^|\/)[^/]*\.(jpe?g|png|zip|pdf)$|^s3:\/\/|^https?:\/\//i;
/** Property names that hold storage locations. */
const STORAGE_KEY_NAME = /(key|keys|bucket|url)$/i;

/** Every string value (with its JSON path) and property name of `node` that looks like a storage location. */
function storageLocations(node: unknown, path = '$', found: string[] = []): string[] {
  if (typeof node === 'string') {
    if (STORAGE_KEY_VALUE.test(node)) found.push(`${path} = ${node}`);
  } else if (Array.isArray(node)) {
    node.forEach((item, index) => storageLocations(item, `${path}[${index}]`, found));
  } else if (node !== null && typeof node === 'object') {
    for (const [name, value] of Object.entries(node)) {
      if (STORAGE_KEY_NAME.test(name)) found.push(`${path}.${name} (property name)`);
      storageLocations(value, `${path}.${name}`, found);
    }
  }
  return found;
}

const verification = {
  verificationId: 'v-1',
  userId: 'owner',
  level: 'basic',
  nationality: 'GBR',
  documentType: 'passport',
  personalData: { keyId: 'k', encryptedDataKey: 'e', iv: 'i', ciphertext: 'c', authTag: 't' },
  status: 'manual_review',
  reasons: [],
  consecutiveFailures: 0,
  frozen: false,
  riskFlags: [],
  createdAt: at,
  updatedAt: at,
  version: 3,
} as unknown as VerificationRecord;

const attempt: AttemptRecord = {
  verificationId: 'v-1',
  attemptId: 'a-1',
  requiredSlots: ['document_front', 'selfie'],
  status: 'manual_review',
  reasons: [],
  livenessSessionId: 'sess-1',
  createdAt: at,
  uploadExpiresAt: at,
  updatedAt: at,
};

const document = (slot: 'document_front' | 'selfie'): DocumentRecord => ({
  verificationId: 'v-1',
  attemptId: 'a-1',
  slot,
  result: 'accepted',
  reasons: [],
  sha256: '0'.repeat(64),
  sizeBytes: 120_000,
  contentType: 'image/jpeg',
  vaultKey: `evidence/v-1/a-1/${slot}`,
  vaultVersionId: 'vault-version-1',
  intakeVersionId: 'intake-version-1',
  metrics: { blurMm: 0.02 },
  processors: ['quality-gate', 'rekognition:DetectFaces'],
  recordedAt: at,
});

/** The liveness check as the workflow's liveness step stores it (`handlers/workflow/liveness.ts`). */
const livenessCheck: CheckRecord = {
  verificationId: 'v-1',
  attemptId: 'a-1',
  name: 'liveness',
  result: {
    kind: 'scored',
    status: 'SUCCEEDED',
    confidence: 97.5,
    binding: { portraitSimilarity: 98.1, selfieSimilarity: 99.2, faceHit: false },
    referenceImageKey: 'liveness/v-1/a-1/sess-1/reference.jpg',
    auditImageKeys: ['liveness/v-1/a-1/sess-1/audit-0.jpg', 'liveness/v-1/a-1/sess-1/audit-1.jpg'],
  },
  processors: ['rekognition:FaceLiveness@liveness_session', 'rekognition:CompareFaces@selfie'],
  recordedAt: at,
};

const otherChecks: CheckRecord[] = [
  {
    verificationId: 'v-1',
    attemptId: 'a-1',
    name: 'face_match',
    result: { kind: 'scored', similarity: 91.5 },
    processors: ['rekognition:CompareFaces@selfie'],
    recordedAt: at,
  },
  {
    verificationId: 'v-1',
    attemptId: 'a-1',
    name: 'document_data',
    // A field no reviewer needs, with a key in it: the allow-list keeps it out too.
    result: {
      kind: 'read',
      expired: false,
      mismatches: ['dateOfBirth'],
      documentHit: false,
      format: 'TD3',
      corrected: true,
      sourceImageKey: 'evidence/v-1/a-1/document_front',
      bucket: 'kyc-vault-123',
    },
    processors: ['rekognition:DetectText@document_front'],
    documentHash: 'hmac-of-number',
    recordedAt: at,
  },
  {
    verificationId: 'v-1',
    attemptId: 'a-1',
    name: 'duplicates',
    result: { kind: 'checked', faceHit: true, documentHit: false, matchCount: 1 },
    processors: ['rekognition:SearchFacesByImage@selfie'],
    matchedUserIds: ['user-77'],
    recordedAt: at,
  },
  {
    verificationId: 'v-1',
    attemptId: 'a-1',
    name: 'decision',
    result: { outcome: 'manual_review', reasons: ['MANUAL_REVIEW_REQUIRED'], causes: ['duplicate_identity'] },
    processors: [],
    recordedAt: at,
  },
];

/** `processor.invoked` events of the case's chain, with the object keys the log stores. */
function processorEvent(sequence: number, objectKey: string, operation: string): AuditEvent {
  return {
    subject: 'verification:v-1',
    action: 'processor.invoked',
    actor: 'system:liveness',
    details: {
      processor: 'rekognition',
      operation,
      purpose: 'liveness',
      attemptId: 'a-1',
      objectKey,
      objectVersion: 'vault-version-1',
      succeeded: true,
      calledAt: at,
    },
    sequence,
    at,
    previousHash: '',
    hash: '',
  };
}

function world() {
  const audited: AuditEventInput[] = [];
  const records: CaseRecords = {
    verification,
    attempts: [
      { attempt, documents: [document('document_front'), document('selfie')], checks: [livenessCheck, ...otherChecks] },
    ],
    reviews: [],
    notes: [],
  };
  const handler = createGetCaseHandler({
    cases: {
      listCases: async () => ({ tasks: [] }),
      loadCase: async (id: string) => (id === 'v-1' ? records : undefined),
      appendNote: async () => undefined,
    },
    audit: {
      append: async (input: AuditEventInput): Promise<AuditEvent> => {
        audited.push(input);
        return { ...input, sequence: 10 + audited.length, at, previousHash: '', hash: '' };
      },
      list: async () => [
        processorEvent(1, 'evidence/v-1/a-1/document_front', 'CompareFaces'),
        processorEvent(2, 'liveness/v-1/a-1/sess-1/reference.jpg', 'FaceLiveness'),
      ],
    },
    personalData: { open: async () => ({ fullName: 'ANNA MARTIN', dateOfBirth: '1990-01-01', address: '1 High St' }) },
    config: DEFAULT_CONFIG,
    clock: { now: () => NOW },
  });
  const request = () =>
    handler(
      httpEvent({
        path: '/v1/cases/v-1',
        userId: 'rita',
        groups: '[compliance_reviewer]',
        pathParameters: { verificationId: 'v-1' },
      }),
      lambdaContext,
    );
  return { audited, request };
}

describe('GET /v1/cases/{verificationId}: no storage keys', () => {
  it('shows no storage key anywhere in the case, though the stored liveness result carries them', async () => {
    // Prepare
    const { request } = world();

    // Act
    const response = await request();
    const body = parse(response);

    // Assess
    expect(response.statusCode, response.body).toBe(200);
    expect(storageLocations(body)).toEqual([]);
    expect(response.body).not.toMatch(/liveness\/v-1|evidence\/v-1|reference\.jpg|kyc-vault/);
  });

  it('keeps the scores, statuses and reason codes of every check', async () => {
    // Prepare
    const { request } = world();

    // Act
    const body = parse(await request()) as {
      attempts: Array<{ checks: Array<{ name: string; result: unknown; matchedUserIds?: string[] }> }>;
      processorLog: Array<Record<string, unknown>>;
    };

    // Assess
    expect(body.attempts[0]!.checks).toEqual([
      expect.objectContaining({
        name: 'liveness',
        result: {
          kind: 'scored',
          status: 'SUCCEEDED',
          confidence: 97.5,
          binding: { portraitSimilarity: 98.1, selfieSimilarity: 99.2, faceHit: false },
        },
      }),
      expect.objectContaining({ name: 'face_match', result: { kind: 'scored', similarity: 91.5 } }),
      expect.objectContaining({
        name: 'document_data',
        result: {
          kind: 'read',
          expired: false,
          mismatches: ['dateOfBirth'],
          documentHit: false,
          format: 'TD3',
          corrected: true,
        },
      }),
      expect.objectContaining({
        name: 'duplicates',
        result: { kind: 'checked', faceHit: true, documentHit: false, matchCount: 1 },
        matchedUserIds: ['user-77'],
      }),
      expect.objectContaining({
        name: 'decision',
        result: { outcome: 'manual_review', reasons: ['MANUAL_REVIEW_REQUIRED'], causes: ['duplicate_identity'] },
      }),
    ]);
    expect(body.processorLog.map((entry) => [entry.operation, entry.slot])).toEqual([
      ['CompareFaces', 'document_front'],
      ['FaceLiveness', undefined],
    ]);
  });
});

describe('checkResultView', () => {
  it.each([
    ['a check error', { kind: 'error', cause: 'States.Timeout' }, { kind: 'error', cause: 'States.Timeout' }],
    [
      'a key among scores',
      { kind: 'scored', similarity: 90, objectKey: 'evidence/v/a/selfie' },
      { kind: 'scored', similarity: 90 },
    ],
    ['an object where a scalar belongs', { kind: { key: 'intake/v/a/selfie' } }, {}],
    ['a list with a non-string', { mismatches: ['name', { key: 'x' }] }, {}],
    [
      'a binding with extra fields',
      { binding: { faceHit: true, imageKey: 'liveness/v/a/s/reference.jpg' } },
      { binding: { faceHit: true } },
    ],
  ])('keeps only the allowed fields of %s', (_name, result, expected) => {
    // Act / Assess
    expect(checkResultView(result)).toEqual(expected);
  });
});

describe('GET /v1/cases/{verificationId}/audit: four eyes', () => {
  function auditWorld(options: { appendFails?: boolean } = {}) {
    const read: string[] = [];
    const steps: string[] = [];
    const appended: AuditEventInput[] = [];
    const handler = createCaseAuditHandler({
      reviews: {
        getVerification: async (id: string) => (id === 'v-1' ? verification : undefined),
        findOpenReviewTask: async () => undefined,
        getReviewTask: async () => undefined,
        assignReviewTask: async () => {
          throw new Error('the audit route assigns nothing');
        },
      },
      audit: {
        append: async (input: AuditEventInput) => {
          if (options.appendFails) throw new Error('audit table unavailable');
          steps.push(`append ${input.action}`);
          appended.push(input);
          return { ...input, sequence: 1, at: '2026-03-01T10:00:00.000Z', previousHash: '0'.repeat(64), hash: '' };
        },
        list: async (subject: string) => {
          steps.push(`list ${subject}`);
          read.push(subject);
          return [];
        },
      },
    });
    const request = (userId: string, groups: string) =>
      handler(
        httpEvent({ path: '/v1/cases/v-1/audit', userId, groups, pathParameters: { verificationId: 'v-1' } }),
        lambdaContext,
      );
    return { read, steps, appended, request };
  }

  it.each([['[compliance_reviewer]'], ['[compliance_approver]'], ['[admin]']])(
    'answers 403 OWN_VERIFICATION to the case subject with %s before reading the trail',
    async (groups) => {
      // Prepare: v-1 is `owner`'s own verification.
      const { read, request } = auditWorld();

      // Act
      const response = await request('owner', groups);

      // Assess
      expect(response.statusCode).toBe(403);
      expect(parse(response)).toEqual({ code: 'OWN_VERIFICATION', message: expect.any(String) });
      expect(read).toEqual([]);
    },
  );

  it('shows the trail to another staff member', async () => {
    // Prepare
    const { read, request } = auditWorld();

    // Act
    const response = await request('rita', '[compliance_reviewer]');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(read).toEqual(['verification:v-1']);
  });

  it("records the read in the case's chain before it reads the trail (who, role, from where)", async () => {
    // Prepare
    const { steps, appended, request } = auditWorld();

    // Act
    const response = await request('rita', '[compliance_approver]');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(steps).toEqual(['append audit_trail.viewed', 'list verification:v-1']);
    expect(appended[0]).toMatchObject({
      subject: 'verification:v-1',
      action: 'audit_trail.viewed',
      actor: 'compliance_approver:rita',
      details: { role: 'compliance_approver' },
    });
  });

  it('reads nothing when the read cannot be recorded', async () => {
    // Prepare
    const { read, request } = auditWorld({ appendFails: true });

    // Act
    const response = await request('rita', '[compliance_reviewer]');

    // Assess
    expect(response.statusCode).toBe(500);
    expect(read).toEqual([]);
  });
});
