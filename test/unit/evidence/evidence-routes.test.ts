import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { createApproveExportHandler } from '../../../lambdas/handlers/http/approve-export.ts';
import { createCreateExportHandler } from '../../../lambdas/handlers/http/create-export.ts';
import { createGetExportHandler } from '../../../lambdas/handlers/http/get-export.ts';
import { createRejectExportHandler } from '../../../lambdas/handlers/http/reject-export.ts';
import { createViewDocumentHandler } from '../../../lambdas/handlers/http/view-document.ts';
import type { AccessRecord, ExportRecord } from '../../../lambdas/domain/evidence-access.ts';
import type {
  AuditEvent,
  AuditEventInput,
  DocumentRecord,
  VerificationRecord,
} from '../../../lambdas/domain/records.ts';
import type { EvidenceAccessRecords, ExportChanges } from '../../../lambdas/ports/evidence-access.ts';
import { httpEvent, lambdaContext, parse } from '../intake/http-events.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');

function memoryRecords(exports: ExportRecord[] = []): EvidenceAccessRecords & { accesses: AccessRecord[] } {
  const accesses: AccessRecord[] = [];
  const byId = new Map(exports.map((record) => [record.exportId, record]));
  return {
    accesses,
    putAccess: async (record) => void accesses.push(record),
    getAccess: async (id) => accesses.find((access) => access.accessId === id),
    createExport: async (record) => void byId.set(record.exportId, record),
    getExport: async (id) => byId.get(id),
    updateExport: async (id: string, version: number, changes: ExportChanges) => {
      const current = byId.get(id);
      if (!current || current.version !== version) return false;
      byId.set(id, { ...current, ...changes, version: version + 1 });
      return true;
    },
    consumeDownload: async () => false,
  };
}

function deps(options: { auditFails?: boolean; exports?: ExportRecord[] } = {}) {
  const calls: string[] = [];
  const audited: AuditEventInput[] = [];
  const records = memoryRecords(options.exports);
  // v-1 is the staff member `owner`'s own verification; every other id is someone else's.
  const verification = { verificationId: 'v-1', userId: 'owner' } as VerificationRecord;
  const verificationOf = (id: string) =>
    id === 'v-1' ? verification : ({ verificationId: id, userId: 'someone-else' } as VerificationRecord);
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
  return {
    calls,
    audited,
    records,
    value: {
      verifications: {
        getVerification: async (id: string) => verificationOf(id),
        getVerificationWithAttempts: async () => ({
          verification,
          attempts: [{ attempt: {} as never, documents: [document] }],
        }),
      },
      records,
      objects: {
        readOriginal: async () => {
          calls.push('readOriginal');
          return Buffer.alloc(0);
        },
        putRendition: async () => void calls.push('putRendition'),
        presignRendition: async () => {
          calls.push('presign');
          return 'https://example.invalid/x';
        },
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
      watermarker: {
        embed: async () => {
          calls.push('embed');
          return { image: Buffer.alloc(0), psnrDb: 40 };
        },
        detect: async () => undefined,
      },
      personalData: { open: async () => ({ fullName: 'A', dateOfBirth: '2000-01-01', address: 'x' }) },
      config: DEFAULT_CONFIG,
      clock: { now: () => NOW },
    },
  };
}

const viewEvent = (userId = 'rita') =>
  httpEvent({
    method: 'POST',
    userId,
    groups: '[compliance_reviewer]',
    pathParameters: { verificationId: 'v-1', slot: 'document_front' },
    body: { reason: 'case review' },
  });

describe('document view handler', () => {
  it('stops before reading the vault when the audit event cannot be written', async () => {
    // Prepare
    const fake = deps({ auditFails: true });
    const handler = createViewDocumentHandler(fake.value);

    // Act
    const result = await handler(viewEvent(), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(500);
    expect(parse(result)).toEqual({ code: 'INTERNAL_ERROR', message: expect.any(String) });
    expect(fake.calls).toEqual(['audit:document.viewed']);
    expect(fake.records.accesses).toEqual([]);
  });

  it('writes the audit event, then the access record, before anything is read or rendered', async () => {
    // Prepare
    const fake = deps();
    const handler = createViewDocumentHandler(fake.value);

    // Act
    await handler(viewEvent(), lambdaContext);

    // Assess
    expect(fake.calls[0]).toBe('audit:document.viewed');
    expect(fake.calls[1]).toBe('readOriginal');
    expect(fake.records.accesses).toEqual([
      expect.objectContaining({
        kind: 'document_view',
        actor: 'rita',
        actorRole: 'compliance_reviewer',
        reason: 'case review',
        slot: 'document_front',
        sourceIp: '192.0.2.10',
        userAgent: 'vitest',
        requestId: 'req-1',
        auditSubject: 'verification:v-1',
        auditSequence: 1,
      }),
    ]);
    expect(fake.audited[0]).toMatchObject({
      actor: 'compliance_reviewer:rita',
      reason: 'case review',
      origin: '192.0.2.10',
      details: expect.objectContaining({ accessId: fake.records.accesses[0]!.accessId, userAgent: 'vitest' }),
    });
  });

  it('answers 403 OWN_VERIFICATION to the case subject before any audit event, access record or read', async () => {
    // Prepare: `owner` holds a compliance role and v-1 is their own verification.
    const fake = deps();
    const handler = createViewDocumentHandler(fake.value);

    // Act
    const result = await handler(viewEvent('owner'), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toEqual({ code: 'OWN_VERIFICATION', message: expect.any(String) });
    expect(fake.calls).toEqual([]);
    expect(fake.audited).toEqual([]);
    expect(fake.records.accesses).toEqual([]);
  });
});

const pendingExport = (verificationIds: string[]): ExportRecord => ({
  exportId: 'e-1',
  verificationIds,
  reason: 'regulator',
  requestedBy: 'rita',
  requestedAt: '2026-11-30T11:00:00.000Z',
  expiresAt: '2026-12-01T11:00:00.000Z',
  status: 'pending_approval',
  version: 1,
});

describe('export request handler', () => {
  const requestEvent = (userId: string, verificationIds: string[]) =>
    httpEvent({
      method: 'POST',
      userId,
      groups: '[compliance_reviewer]',
      body: { verificationIds, reason: 'regulator request' },
    });

  it("answers 403 OWN_VERIFICATION when any listed verification is the caller's own, auditing and storing nothing", async () => {
    // Prepare
    const fake = deps();
    let stored = 0;
    const handler = createCreateExportHandler({
      ...fake.value,
      records: { ...fake.records, createExport: async () => void stored++ },
    });

    // Act
    const own = await handler(requestEvent('owner', ['v-2', 'v-1']), lambdaContext);
    const others = await handler(requestEvent('owner', ['v-2', 'v-3']), lambdaContext);

    // Assess
    expect(own.statusCode).toBe(403);
    expect(parse(own)).toEqual({ code: 'OWN_VERIFICATION', message: expect.any(String) });
    expect(others.statusCode).toBe(201);
    expect(fake.audited.map((event) => event.action)).toEqual(['export.requested']);
    expect(fake.audited[0]?.details?.verificationIds).toEqual(['v-2', 'v-3']);
    expect(stored).toBe(1);
  });
});

describe('export status handler', () => {
  const statusEvent = (userId: string, groups = '[compliance_reviewer]') =>
    httpEvent({ method: 'GET', userId, groups, pathParameters: { exportId: 'e-1' } });

  it("refuses 403 OWN_VERIFICATION to a subject of one of the export's verifications, showing nothing", async () => {
    // Prepare: rita asked for v-2 and v-1; v-1 belongs to the staff member `owner`.
    const fake = deps({ exports: [pendingExport(['v-2', 'v-1'])] });

    // Act
    const result = await createGetExportHandler(fake.value)(statusEvent('owner'), lambdaContext);

    // Assess: no reason, no ids, nothing audited
    expect(result.statusCode).toBe(403);
    expect(parse(result)).toEqual({ code: 'OWN_VERIFICATION', message: expect.any(String) });
    expect(result.body).not.toContain('regulator');
    expect(fake.audited).toEqual([]);
  });

  it('shows the export to other compliance staff', async () => {
    // Prepare
    const fake = deps({ exports: [pendingExport(['v-2', 'v-1'])] });

    // Act
    const result = await createGetExportHandler(fake.value)(
      statusEvent('amos', '[compliance_approver]'),
      lambdaContext,
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({ exportId: 'e-1', status: 'pending_approval', reason: 'regulator' });
  });
});

describe('export decision handlers', () => {
  const decisionEvent = (userId: string) =>
    httpEvent({ method: 'POST', userId, groups: '[compliance_approver]', pathParameters: { exportId: 'e-1' } });

  it.each([
    ['approval', createApproveExportHandler],
    ['rejection', createRejectExportHandler],
  ] as const)(
    'refuses the %s with 403 OWN_VERIFICATION when the approver owns a verification of the export',
    async (_name, create) => {
      // Prepare: rita asked for v-2 and v-1; v-1 belongs to the approver `owner`.
      const fake = deps({ exports: [pendingExport(['v-2', 'v-1'])] });
      const handler = create(fake.value);

      // Act
      const result = await handler(decisionEvent('owner'), lambdaContext);

      // Assess
      expect(result.statusCode).toBe(403);
      expect(parse(result)).toEqual({ code: 'OWN_VERIFICATION', message: expect.any(String) });
      expect(fake.calls).toEqual([]);
      expect(fake.audited).toEqual([]);
      expect(fake.records.accesses).toEqual([]);
      expect(await fake.records.getExport('e-1')).toMatchObject({ status: 'pending_approval', version: 1 });
    },
  );

  it('lets another approver reject the same export', async () => {
    // Prepare
    const fake = deps({ exports: [pendingExport(['v-2', 'v-1'])] });

    // Act
    const result = await createRejectExportHandler(fake.value)(decisionEvent('amos'), lambdaContext);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(fake.audited.map((event) => event.action)).toEqual(['export.rejected']);
  });
});

describe('export approval handler', () => {
  it('refuses an expired request with 409 EXPORT_EXPIRED and records the expiry', async () => {
    // Prepare
    const pending: ExportRecord = {
      exportId: 'e-1',
      verificationIds: ['v-1'],
      reason: 'regulator',
      requestedBy: 'rita',
      requestedAt: '2026-11-29T11:00:00.000Z',
      expiresAt: '2026-11-30T11:00:00.000Z',
      status: 'pending_approval',
      version: 1,
    };
    const fake = deps({ exports: [pending] });
    const handler = createApproveExportHandler(fake.value);

    // Act
    const result = await handler(
      httpEvent({
        method: 'POST',
        userId: 'amos',
        groups: '[compliance_approver]',
        pathParameters: { exportId: 'e-1' },
      }),
      lambdaContext,
    );

    // Assess
    expect(result.statusCode).toBe(409);
    expect(parse(result).code).toBe('EXPORT_EXPIRED');
    expect(fake.calls).toEqual(['audit:export.expired']);
    expect((await fake.records.getExport('e-1'))?.status).toBe('expired');
  });
});
