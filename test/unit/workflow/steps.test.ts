import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../../lib/config.ts';
import { documentDataStep, MRZ_REGION } from '../../../lambdas/handlers/workflow/document-data.ts';
import { duplicatesStep } from '../../../lambdas/handlers/workflow/duplicates.ts';
import { finalizeApproveStep } from '../../../lambdas/handlers/workflow/finalize-approve.ts';
import { LIVENESS_OPEN_SESSION_WAIT, livenessStep } from '../../../lambdas/handlers/workflow/liveness.ts';
import { TRANSIENT_ERRORS } from '../../../lib/constructs/verification-workflow.ts';
import { loadAttemptStep } from '../../../lambdas/handlers/workflow/load-attempt.ts';
import { reopenStep } from '../../../lambdas/handlers/workflow/reopen.ts';
import { reviewEscalateStep } from '../../../lambdas/handlers/workflow/review-escalate.ts';
import { reviewRouting, reviewTaskStep } from '../../../lambdas/handlers/workflow/review-task.ts';
import { parseState } from '../../../lambdas/handlers/workflow/state.ts';
import { idCardMrz, passportMrz } from '../../support/mrz-samples.ts';
import { fakeWorkflowWorld } from '../../support/workflow-fakes.ts';

const ids = { verificationId: 'ver-1', attemptId: 'att-1' };

function world(config = DEFAULT_CONFIG) {
  const w = fakeWorkflowWorld({ config });
  w.store.seed({ ...ids, livenessSessionId: 'session-1' });
  w.faces.textLines = passportMrz();
  return w;
}

describe('parseState', () => {
  it.each([[null], [{}], [{ verificationId: 'v', attemptId: '../etc' }], [{ verificationId: 1, attemptId: 'a' }]])(
    'refuses %j',
    (event) => {
      // Act / Assess
      expect(() => parseState(event)).toThrow(expect.objectContaining({ name: 'InvalidWorkflowInputError' }));
    },
  );

  it('unwraps a task-token payload', () => {
    // Act / Assess
    expect(parseState({ taskToken: 't', state: { ...ids, decision: { outcome: 'manual_review' } } })).toMatchObject({
      ...ids,
      taskToken: 't',
    });
  });
});

describe('workflow steps', () => {
  it('load-attempt moves the verification to processing and reports the context', async () => {
    // Prepare
    const w = world();

    // Act
    const context = await loadAttemptStep(ids, w.deps);

    // Assess
    expect(context).toEqual({
      ...ids,
      level: 'basic',
      documentType: 'passport',
      consecutiveFailures: 0,
      afterCooldown: false,
    });
    expect((await w.store.getVerification('ver-1'))?.status).toBe('processing');
    expect((await w.store.getAttempt('ver-1', 'att-1'))?.status).toBe('processing');
  });

  it('load-attempt refuses an approved verification (stale execution), audited', async () => {
    // Prepare
    const w = world();
    const v = await w.store.getVerification('ver-1');
    await w.store.updateVerification('ver-1', v!.version, { status: 'approved', frozen: true });

    // Act / Assess
    await expect(loadAttemptStep(ids, w.deps)).rejects.toMatchObject({
      name: 'StaleAttemptError',
      reason: 'verification_frozen',
    });
    expect(w.audit.events.at(-1)).toMatchObject({ action: 'workflow.refused', reason: 'verification_frozen' });
    expect((await w.store.getVerification('ver-1'))?.status).toBe('approved');
  });

  it('load-attempt refuses a superseded attempt', async () => {
    // Prepare
    const w = world();
    await w.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'superseded' });

    // Act / Assess
    await expect(loadAttemptStep(ids, w.deps)).rejects.toMatchObject({
      name: 'StaleAttemptError',
      reason: 'attempt_closed',
    });
  });

  it('load-attempt routes an attempt under manual review to its review (a review execution), changing nothing', async () => {
    // Prepare
    const w = world();
    await w.store.transitionAttempt('ver-1', 'att-1', ['awaiting_upload'], { status: 'manual_review' });
    const v = await w.store.getVerification('ver-1');
    await w.store.updateVerification('ver-1', v!.version, { status: 'manual_review' });
    const events = w.audit.events.length;

    // Act / Assess
    await expect(loadAttemptStep(ids, w.deps)).rejects.toMatchObject({ name: 'ReviewPendingError' });
    expect((await w.store.getAttempt('ver-1', 'att-1'))?.status).toBe('manual_review');
    expect((await w.store.getVerification('ver-1'))?.status).toBe('manual_review');
    expect(w.audit.events).toHaveLength(events);
  });

  it('document-data never returns or records the name, birth date or document number', async () => {
    // Prepare
    const w = world();

    // Act
    const result = await documentDataStep(ids, w.deps);

    // Assess
    expect(result).toEqual({ kind: 'read', expired: false, mismatches: [], documentHit: false });
    const record = await w.store.getCheck('ver-1', 'att-1', 'document_data');
    const stored = JSON.stringify(record?.result);
    expect(stored).not.toMatch(/ERIKSSON|ANNA|L898902C3|740812|1974/i);
    expect(record?.documentHash).toBe('hmac(L898902C3)');
    expect(record?.processors).toEqual([
      'fake-rekognition:DetectText@document_front',
      'kms:GenerateMac@document_number',
    ]);
  });

  it('document-data reports a document number owned by another user', async () => {
    // Prepare
    const w = world();
    w.store.owners.set('hmac(L898902C3)', { userId: 'someone-else', verificationId: 'ver-9' });

    // Act / Assess
    expect(await documentDataStep(ids, w.deps)).toMatchObject({ kind: 'read', documentHit: true });
  });

  it.each([
    ['no MRZ on the image', ['DRIVING LICENCE', 'ANNA ERIKSSON']],
    [
      'an MRZ whose check digits fail',
      ['P<GBRERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C37GBR7408122F3404159ZE184226B<<<<<10'],
    ],
  ])('document-data with %s is unreadable (manual review), not a rejection', async (_name, lines) => {
    // Prepare
    const w = world();
    w.faces.textLines = lines;

    // Act / Assess
    expect(await documentDataStep(ids, w.deps)).toEqual({ kind: 'unreadable', detail: 'no_mrz' });
  });

  it('document-data reports a name one misread away as a near match, recorded without the name', async () => {
    // Prepare: the OCR read one glyph of the given name as two (no check digit guards a name)
    const w = world();
    w.faces.textLines = passportMrz({ name: 'ERIKSSON<<ANQNA<MARIA' });

    // Act
    const result = await documentDataStep(ids, w.deps);

    // Assess
    expect(result).toEqual({ kind: 'read', expired: false, mismatches: [], nearMatches: ['name'], documentHit: false });
    const record = await w.store.getCheck('ver-1', 'att-1', 'document_data');
    expect(record?.result).toMatchObject({ nearMatches: ['name'] });
    expect(JSON.stringify(record?.result)).not.toMatch(/ERIKSSON|ANQNA|ANNA/i);
  });

  it('document-data flags a passport MRZ on an id-card verification as a mismatch', async () => {
    // Prepare
    const w = fakeWorkflowWorld();
    w.store.seed({ ...ids, documentType: 'id_card', slots: ['document_front', 'document_back', 'selfie'] });
    w.faces.textLines = passportMrz();

    // Act / Assess
    expect(await documentDataStep(ids, w.deps)).toMatchObject({ mismatches: ['document_type'] });
  });

  it('document-data reads the lower half of the front first, and no more once the MRZ is there', async () => {
    // Prepare
    const w = world();

    // Act
    const result = await documentDataStep(ids, w.deps);

    // Assess
    expect(result).toMatchObject({ kind: 'read' });
    expect(w.faces.textReads).toEqual([{ key: 'evidence/ver-1/att-1/document_front', region: MRZ_REGION }]);
    expect(MRZ_REGION).toEqual({ left: 0, top: 0.5, width: 1, height: 0.5 });
  });

  it('document-data reads each side whole when neither lower half holds the MRZ, recording each side once', async () => {
    // Prepare: an identity card photographed with its MRZ in the upper half of the back's frame
    const w = fakeWorkflowWorld();
    w.store.seed({ ...ids, documentType: 'id_card', slots: ['document_front', 'document_back', 'selfie'] });
    w.faces.textLines = ['IDENTITY CARD'];
    w.faces.textLinesFor = (image, region) =>
      image.key.endsWith('document_back') && region === undefined ? idCardMrz() : undefined;

    // Act
    const result = await documentDataStep(ids, w.deps);

    // Assess
    expect(result).toMatchObject({ kind: 'read', mismatches: [] });
    expect(w.faces.textReads).toEqual([
      { key: 'evidence/ver-1/att-1/document_front', region: MRZ_REGION },
      { key: 'evidence/ver-1/att-1/document_back', region: MRZ_REGION },
      { key: 'evidence/ver-1/att-1/document_front' },
      { key: 'evidence/ver-1/att-1/document_back' },
    ]);
    expect((await w.store.getCheck('ver-1', 'att-1', 'document_data'))?.processors).toEqual([
      'fake-rekognition:DetectText@document_front',
      'fake-rekognition:DetectText@document_back',
      'kms:GenerateMac@document_number',
    ]);
  });

  it('document-data with no MRZ in any read is unreadable after reading each half and each side whole', async () => {
    // Prepare
    const w = world();
    w.faces.textLines = ['DRIVING LICENCE'];

    // Act
    const result = await documentDataStep(ids, w.deps);

    // Assess
    expect(result).toEqual({ kind: 'unreadable', detail: 'no_mrz' });
    expect(w.faces.textReads.map((read) => read.region)).toEqual([MRZ_REGION, undefined]);
  });

  it('document-data reads a driving licence whole, each side once', async () => {
    // Prepare
    const w = fakeWorkflowWorld();
    w.store.seed({ ...ids, documentType: 'driving_licence', slots: ['document_front', 'document_back', 'selfie'] });
    w.faces.textLines = ['DRIVING LICENCE'];

    // Act
    const result = await documentDataStep(ids, w.deps);

    // Assess
    expect(result).toEqual({ kind: 'unreadable', detail: 'no_mrz' });
    expect(w.faces.textReads).toEqual([
      { key: 'evidence/ver-1/att-1/document_front' },
      { key: 'evidence/ver-1/att-1/document_back' },
    ]);
  });

  it.each([
    ['liveness', livenessStep, { liveness: false }],
    ['document-data', documentDataStep, { ocr: false }],
  ] as const)('%s reports disabled when its feature is off', async (_name, step, features) => {
    // Prepare
    const w = world(resolveConfig({ features }));

    // Act / Assess
    expect(await step(ids, w.deps)).toEqual({ kind: 'disabled' });
  });

  it('liveness persists the session result at once, bound to the applicant, images copied to the vault', async () => {
    // Prepare
    const w = world();
    const reference = 'liveness/ver-1/att-1/session-1/reference.jpg';
    const audit = 'liveness/ver-1/att-1/session-1/audit_images/0.jpg';
    w.liveness.result = {
      status: 'SUCCEEDED',
      confidence: 88.123,
      referenceImage: { bucket: 'intake', key: reference },
      auditImages: [{ bucket: 'intake', key: audit }],
    };
    w.faces.similarityFor = (source, target) =>
      source.key === reference && target.key.endsWith('selfie') ? 97.456 : 96;

    // Act
    const result = await livenessStep(ids, w.deps);

    // Assess
    expect(result).toEqual({
      kind: 'scored',
      status: 'SUCCEEDED',
      confidence: 88.12,
      binding: { portraitSimilarity: 96, selfieSimilarity: 97.46, faceHit: false },
    });
    expect(w.vault.copies).toEqual([
      { from: { bucket: 'intake', key: reference }, to: reference },
      { from: { bucket: 'intake', key: audit }, to: audit },
    ]);
    expect(w.vault.deleted).toEqual([
      { bucket: 'intake', key: reference },
      { bucket: 'intake', key: audit },
    ]);
    const check = await w.store.getCheck('ver-1', 'att-1', 'liveness');
    expect(check?.result).toMatchObject({ referenceImageKey: reference, auditImageKeys: [audit] });
    expect(check?.processors).toContain('fake-rekognition:SearchFacesByImage@liveness_reference');
  });

  it('liveness finds the live face on another account (duplicate search on the liveness image)', async () => {
    // Prepare
    const w = world();
    w.faces.searchHitsFor = (image) =>
      image.key.startsWith('liveness/') ? [{ userId: 'user-9', similarity: 99 }] : [];

    // Act
    const result = await livenessStep(ids, w.deps);

    // Assess
    expect(result).toMatchObject({ binding: { faceHit: true } });
    expect((await w.store.getCheck('ver-1', 'att-1', 'liveness'))?.matchedUserIds).toEqual(['user-9']);
  });

  it.each([
    ['another attempt', { bucket: 'intake', key: 'liveness/ver-1/att-0/session-1/reference.jpg' }],
    ['another verification', { bucket: 'intake', key: 'liveness/ver-2/att-1/session-1/reference.jpg' }],
    ['another bucket', { bucket: 'elsewhere', key: 'liveness/ver-1/att-1/session-1/reference.jpg' }],
    ['a path escape', { bucket: 'intake', key: 'liveness/ver-1/att-1/../../ver-2/x/reference.jpg' }],
  ])('liveness reads a session only for its own attempt: refuses images of %s', async (_name, referenceImage) => {
    // Prepare
    const w = world();
    w.liveness.result = { status: 'SUCCEEDED', confidence: 99, referenceImage };

    // Act / Assess
    await expect(livenessStep(ids, w.deps)).rejects.toMatchObject({ name: 'LivenessSessionMismatchError' });
    expect(w.vault.copies).toEqual([]);
    expect(await w.store.getCheck('ver-1', 'att-1', 'liveness')).toBeUndefined();
  });

  it('liveness waits for a session the applicant is still finishing, then judges the finished one', async () => {
    // Prepare: the workflow started with the last upload; the challenge ends two polls later.
    const w = world();
    const statuses = ['CREATED', 'IN_PROGRESS', 'SUCCEEDED'] as const;
    const getResult = w.liveness.getResult.bind(w.liveness);
    let polls = 0;
    w.liveness.getResult = async (sessionId) => {
      w.liveness.result = { status: statuses[Math.min(polls, 2)] as (typeof statuses)[number], confidence: 97 };
      polls += 1;
      return getResult(sessionId);
    };
    const started = w.clock.now().getTime();

    // Act
    const result = await livenessStep(ids, w.deps);

    // Assess
    expect(polls).toBe(3);
    expect(w.clock.now().getTime() - started).toBe(2 * LIVENESS_OPEN_SESSION_WAIT.everyMs);
    expect(result).toMatchObject({ kind: 'scored', status: 'SUCCEEDED', confidence: 97 });
    expect(w.vault.copies.map((copy) => copy.to)).toEqual(['liveness/ver-1/att-1/session-1/reference.jpg']);
  });

  it('liveness leaves a session still open after its wait to the state machine, judging nothing', async () => {
    // Prepare
    const w = world();
    w.liveness.result = { status: 'IN_PROGRESS' };
    const started = w.clock.now().getTime();

    // Act / Assess
    await expect(livenessStep(ids, w.deps)).rejects.toMatchObject({
      name: 'LivenessSessionPendingError',
      status: 'IN_PROGRESS',
    });
    expect(w.clock.now().getTime() - started).toBe(LIVENESS_OPEN_SESSION_WAIT.totalMs);
    expect(TRANSIENT_ERRORS).toContain('LivenessSessionPendingError');
    expect(w.vault.copies).toEqual([]);
    expect(await w.store.getCheck('ver-1', 'att-1', 'liveness')).toBeUndefined();
  });

  it('duplicates ignores the user’s own indexed face and keeps other user ids out of the output', async () => {
    // Prepare
    const w = world();
    w.faces.searchHits = [
      { userId: 'user-1', similarity: 99.9 },
      { userId: 'user-7', similarity: 98 },
      { userId: 'user-8', similarity: 60 },
    ];

    // Act
    const result = await duplicatesStep(ids, w.deps);

    // Assess
    expect(result).toEqual({ kind: 'checked', faceHit: true, documentHit: false, matchCount: 1 });
    expect((await w.store.getCheck('ver-1', 'att-1', 'duplicates'))?.matchedUserIds).toEqual(['user-7']);
  });

  it('finalize-approve refuses a document number claimed by another account meanwhile', async () => {
    // Prepare
    const w = world();
    await loadAttemptStep(ids, w.deps);
    await documentDataStep(ids, w.deps);
    w.store.owners.set('hmac(L898902C3)', { userId: 'thief', verificationId: 'ver-9' });

    // Act / Assess
    await expect(finalizeApproveStep(ids, w.deps)).rejects.toMatchObject({ name: 'DocumentAlreadyClaimedError' });
    expect((await w.store.getVerification('ver-1'))?.status).toBe('processing');
  });

  it.each([
    ['cooldown', 'awaiting_upload', true],
    ['awaiting_upload', 'awaiting_upload', false],
  ] as const)('reopen from %s ends at %s and flags the next attempt for review', async (from, to, reopened) => {
    // Prepare: "awaiting_upload" = the cooldown was already ended lazily by the next attempt request.
    const w = world();
    const v = await w.store.getVerification('ver-1');
    await w.store.updateVerification('ver-1', v!.version, { status: from, cooldownUntil: '2026-01-01T00:00:00Z' });

    // Act
    const result = await reopenStep(ids, w.deps);

    // Assess
    expect(result).toEqual({ status: to, reopened });
    expect((await w.store.getVerification('ver-1'))?.riskFlags).toEqual(['after_cooldown']);
  });

  it.each([
    ['basic', ['MANUAL_REVIEW_REQUIRED'], ['face_match:between_bands'], 'standard', 1],
    ['advanced', ['MANUAL_REVIEW_REQUIRED'], ['level:advanced'], 'advanced', 1],
    ['basic', ['DUPLICATE_IDENTITY', 'MANUAL_REVIEW_REQUIRED'], ['duplicate:face'], 'duplicates', 3],
    ['basic', ['MANUAL_REVIEW_REQUIRED'], ['task_failed:Lambda.Unknown'], 'exceptions', 2],
  ] as const)('routes a %s review with %j to queue %s', (level, reasons, causes, queue, priority) => {
    // Act / Assess
    expect(reviewRouting(level, reasons, causes)).toEqual({ queue, priority });
  });

  it('review-task opens the task with the SLA due date and publishes manual_review once', async () => {
    // Prepare
    const w = world();
    await loadAttemptStep(ids, w.deps);
    const decision = {
      outcome: 'manual_review' as const,
      reasons: ['MANUAL_REVIEW_REQUIRED' as const],
      causes: ['face_match:between_bands'],
      startsCooldown: false,
    };

    // Act
    await reviewTaskStep({ ...ids, decision, taskToken: 't-1' }, w.deps);
    await reviewTaskStep({ ...ids, decision, taskToken: 't-2' }, w.deps);

    // Assess
    const task = await w.store.getReviewTask('ver-1', 'att-1');
    expect(task).toMatchObject({ taskToken: 't-2', queue: 'standard', priority: 1, escalated: false });
    expect(Date.parse(task!.dueAt) - w.clock.now().getTime()).toBe(7 * 24 * 3600 * 1000);
    expect(w.events.changes.filter((c) => c.status === 'manual_review')).toHaveLength(1);
  });

  it('review-escalate hands a decision that raced the timeout to the new token', async () => {
    // Prepare
    const w = world();
    await loadAttemptStep(ids, w.deps);
    await reviewTaskStep({ ...ids, taskToken: 't-1' }, w.deps);
    await w.store.decideReviewTask('ver-1', 'att-1', 't-1', {
      decision: 'reject',
      decidedBy: 'reviewer-1',
      reasons: ['FACE_NOT_MATCH'],
      note: 'n',
      decidedAt: w.clock.now().toISOString(),
    });

    // Act
    await reviewEscalateStep({ ...ids, taskToken: 't-2' }, w.deps);

    // Assess
    expect(w.reviews.completed).toEqual([
      { taskToken: 't-2', output: { decision: 'reject', reasons: ['FACE_NOT_MATCH'], reviewer: 'reviewer-1' } },
    ]);
    expect(w.events.escalations).toEqual([]);
  });

  it('review-escalate run again under the same token raises nothing twice', async () => {
    // Prepare
    const w = world();
    await loadAttemptStep(ids, w.deps);
    await reviewTaskStep({ ...ids, taskToken: 't-0' }, w.deps);
    const first = await reviewEscalateStep({ ...ids, taskToken: 't-1' }, w.deps);
    const afterFirst = await w.store.getReviewTask('ver-1', 'att-1');
    w.clock.advance(60_000);

    // Act: the same escalation delivered again (a restart mid-step, or at-least-once delivery)
    const second = await reviewEscalateStep({ ...ids, taskToken: 't-1' }, w.deps);

    // Assess: same priority, count and due date; the events may repeat but say the same
    expect(second).toEqual(first);
    expect(await w.store.getReviewTask('ver-1', 'att-1')).toEqual(afterFirst);
    expect(afterFirst).toMatchObject({ taskToken: 't-1', priority: first.priority, escalations: 1 });
    expect(w.events.escalations.map((e) => [e.priority, e.escalations, e.dueAt])).toEqual([
      [first.priority, 1, afterFirst!.dueAt],
      [first.priority, 1, afterFirst!.dueAt],
    ]);
  });

  it('review-escalate caps the priority', async () => {
    // Prepare
    const w = world();
    await loadAttemptStep(ids, w.deps);
    await reviewTaskStep({ ...ids, taskToken: 't-0' }, w.deps);

    // Act
    for (let i = 1; i <= 12; i += 1) await reviewEscalateStep({ ...ids, taskToken: `t-${i}` }, w.deps);

    // Assess
    expect(await w.store.getReviewTask('ver-1', 'att-1')).toMatchObject({
      priority: 9,
      escalations: 12,
      escalated: true,
    });
  });
});
