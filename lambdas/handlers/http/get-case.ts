/**
 * `GET /v1/cases/{verificationId}` (compliance_reviewer, compliance_approver): the whole case
 * for a reviewer. Order is the promise (PRODUCT §5, §7):
 *
 *   1. load the records (404 unknown case; 403 `OWN_VERIFICATION` for the case's own subject)
 *   2. audit event `case.viewed` (actor, role, source IP, user agent, request id)
 *                                             -- fails: 500, nothing decrypted, nothing sent
 *   3. decrypt the personal data (KMS, encryption context bound to the verification)
 *   4. answer: personal data, attempts with per-slot results, reasons and quality metrics,
 *      persisted check results, review tasks with SLA and escalations, risk flags, the
 *      processor log (from the audit chain), notes, and the routes that act on the case.
 *
 * Never document bytes, storage keys (vault, intake, liveness) or URLs: documents are seen only
 * through the audited, watermarked view route, which the answer names. Check results are shown
 * through an allow-list of their fields (`checkResultView`), so a key a check keeps for the
 * records lifecycle (the liveness `referenceImageKey`, `auditImageKeys`) never reaches the view.
 */
import { caseRiskFlags, caseSummary, type ReviewTaskLike } from '../../domain/cases.ts';
import { describeReasons, DEFAULT_LANGUAGE, isLanguage, type Language } from '../../domain/reason-catalog/index.ts';
import type { DocumentRecord } from '../../domain/records.ts';
import { SLOTS, type Slot } from '../../domain/verification.ts';
import { ProcessorLogReader } from '../../adapters/aws/audit-processor-log.ts';
import type { CaseRecords } from '../../ports/case-store.ts';
import type { ProcessorLogEntry } from '../../ports/processor-log.ts';
import type { ReviewTask } from '../../ports/workflow-store.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  actingRole,
  caseAuditLog,
  casePersonalData,
  caseRouteQuotas,
  caseRouteSettings,
  caseStore,
  caseSubject,
  refuseOwnCase,
  type CaseRouteDeps,
} from './case-deps.ts';
import { originDetails, requestOrigin } from './evidence-deps.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor, type HttpMethod } from './routes.ts';
import { routeQuota } from './middleware/route-quota.ts';

const ROUTE = routeFor('GET', '/v1/cases/{verificationId}');

/** The routes that act on a case, with who may call them (from the route table). */
function caseActions(verificationId: string, open: ReviewTask | undefined, callerId: string) {
  const action = (method: HttpMethod, template: string, available: boolean) => ({
    method,
    path: template.replace('{verificationId}', verificationId),
    roles: routeFor(method, template).roles,
    available,
  });
  return {
    decide: action('POST', '/v1/reviews/{verificationId}/decision', open !== undefined),
    claim: action(
      'POST',
      '/v1/cases/{verificationId}/claim',
      open !== undefined && (open.assignee === undefined || open.assignee === callerId),
    ),
    assign: action('POST', '/v1/cases/{verificationId}/assign', open !== undefined),
    addNote: action('POST', '/v1/cases/{verificationId}/notes', true),
    audit: action('GET', '/v1/cases/{verificationId}/audit', true),
    viewDocument: action('POST', '/v1/cases/{verificationId}/documents/{slot}/view', true),
  };
}

function slotView(slot: Slot, document: DocumentRecord | undefined, language: Language) {
  if (!document) return { slot, result: 'pending' as const, reasons: [] };
  return {
    slot,
    result: document.result,
    reasons: describeReasons(document.reasons, language),
    metrics: document.metrics,
    processors: document.processors,
    contentType: document.contentType,
    sizeBytes: document.sizeBytes,
    recordedAt: document.recordedAt,
    // Whether the audited, watermarked view route can show it.
    viewable:
      document.result === 'accepted' && document.vaultKey !== undefined && document.contentType !== 'application/pdf',
  };
}

/** Scalar fields of a persisted check result a reviewer sees: kinds, scores, statuses, flags. */
const CHECK_RESULT_SCALARS: ReadonlySet<string> = new Set([
  'kind', // every check
  'cause', // a check that failed (CheckError)
  'similarity', // face_match
  'status', // liveness (the session's status)
  'confidence', // liveness
  'detail', // document_data, unreadable
  'expired', // document_data
  'format', // document_data (MRZ format)
  'corrected', // document_data (OCR confusions corrected)
  'documentHit', // document_data, duplicates
  'faceHit', // duplicates
  'matchCount', // duplicates
  'outcome', // decision
]);
/** List fields (of strings) of a persisted check result a reviewer sees. */
const CHECK_RESULT_LISTS: ReadonlySet<string> = new Set(['mismatches', 'nearMatches', 'reasons', 'causes']);
/** Fields of the liveness binding (the session's live face against the document and selfie). */
const LIVENESS_BINDING_FIELDS: ReadonlySet<string> = new Set(['portraitSimilarity', 'selfieSimilarity', 'faceHit']);

function scalarFields(value: Readonly<Record<string, unknown>>, allowed: ReadonlySet<string>) {
  return Object.fromEntries(
    Object.entries(value).filter(
      ([field, item]) =>
        allowed.has(field) && (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean'),
    ),
  );
}

/**
 * The fields of a persisted check result the case view shows (an allow-list: whatever else a
 * check stores, storage keys above all, stays out).
 */
export function checkResultView(result: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const lists = Object.entries(result).filter(
    ([field, item]) =>
      CHECK_RESULT_LISTS.has(field) && Array.isArray(item) && item.every((entry) => typeof entry === 'string'),
  );
  const binding = result.binding;
  return {
    ...scalarFields(result, CHECK_RESULT_SCALARS),
    ...Object.fromEntries(lists),
    ...(binding !== null && typeof binding === 'object' && !Array.isArray(binding)
      ? { binding: scalarFields(binding as Record<string, unknown>, LIVENESS_BINDING_FIELDS) }
      : {}),
  };
}

function attemptsView(records: CaseRecords, language: Language) {
  return records.attempts.map(({ attempt, documents, checks }) => ({
    attemptId: attempt.attemptId,
    status: attempt.status,
    reasons: describeReasons(attempt.reasons, language),
    createdAt: attempt.createdAt,
    updatedAt: attempt.updatedAt,
    ...(attempt.livenessSessionId ? { liveness: true } : {}),
    slots: attempt.requiredSlots.map((slot) =>
      slotView(
        slot,
        documents.find((document) => document.slot === slot),
        language,
      ),
    ),
    checks: checks.map((check) => ({
      name: check.name,
      result: checkResultView(check.result),
      processors: check.processors,
      ...(check.matchedUserIds?.length ? { matchedUserIds: check.matchedUserIds } : {}),
      recordedAt: check.recordedAt,
    })),
  }));
}

function reviewView(task: ReviewTask, now: Date, language: Language) {
  return {
    ...caseSummary(task as ReviewTaskLike, now),
    reasons: describeReasons(task.reasons, language),
    ...(task.note ? { note: task.note } : {}),
    // Decisions taken on this review that could not be carried out (the review was reopened).
    ...(task.failedDecisions?.length
      ? {
          failedDecisions: task.failedDecisions.map((failed) => ({
            decision: failed.decision,
            decidedBy: failed.decidedBy,
            decidedAt: failed.decidedAt,
            reasons: [...failed.reasons],
            ...(failed.note ? { note: failed.note } : {}),
            error: failed.error,
          })),
        }
      : {}),
  };
}

/** A processor-log entry without the storage key: which slot of which attempt went where. */
function processorView(entry: ProcessorLogEntry) {
  const last = entry.objectKey.split('/').pop() ?? '';
  const slot = (SLOTS as readonly string[]).includes(last) ? last : undefined;
  return {
    processor: entry.processor,
    operation: entry.operation,
    purpose: entry.purpose,
    ...(entry.attemptId ? { attemptId: entry.attemptId } : {}),
    ...(slot ? { slot } : {}),
    ...(entry.objectVersion ? { objectVersion: entry.objectVersion } : {}),
    ...(entry.requestId ? { requestId: entry.requestId } : {}),
    succeeded: entry.succeeded,
    at: entry.at,
    actor: entry.actor,
    sequence: entry.sequence,
  };
}

/** The ports of the case view. */
export type GetCaseDeps = Omit<CaseRouteDeps, 'reviews'>;

export function createGetCaseHandler(
  source: DepsSource<GetCaseDeps> = () => ({
    ...caseRouteSettings(),
    cases: caseStore(),
    audit: caseAuditLog(),
    personalData: casePersonalData(),
    routeQuotas: caseRouteQuotas(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(ROUTE, async (event) => {
    const deps = getDeps();
    const caller = event.caller!;
    const language: Language = isLanguage(event.language) ? event.language : DEFAULT_LANGUAGE;
    const verificationId = event.pathParameters?.verificationId ?? '';
    const records = await deps.cases.loadCase(verificationId);
    if (!records) throw new NotFoundError('Case not found');
    const { verification } = records;
    refuseOwnCase(verification, caller.userId);
    const role = actingRole(caller, ROUTE.roles);
    const origin = requestOrigin(event);
    // 1. The audit event comes first: if it cannot be written, nothing is decrypted or sent.
    await deps.audit.append({
      subject: caseSubject(verificationId),
      action: 'case.viewed',
      actor: `${role}:${caller.userId}`,
      reason: 'case review',
      ...(origin.sourceIp ? { origin: origin.sourceIp } : {}),
      details: { role, personalData: ['fullName', 'dateOfBirth', 'address'], ...originDetails(origin) },
    });
    // 2. Then the personal data.
    const personalData = await deps.personalData.open(verification.personalData, { verificationId });
    const processorLog = await new ProcessorLogReader(deps.audit).list(verificationId);
    const now = deps.clock.now();
    const open = records.reviews.find((task) => task.decision === undefined);
    const latest = open ?? records.reviews[records.reviews.length - 1];
    const { windowSeconds, attemptsPerWindow } = deps.config.rateLimits;
    return jsonResponse(200, {
      verificationId,
      userId: verification.userId,
      status: verification.status,
      level: verification.level,
      nationality: verification.nationality,
      documentType: verification.documentType,
      reasons: describeReasons(verification.reasons, language),
      consecutiveFailures: verification.consecutiveFailures,
      ...(verification.cooldownUntil ? { cooldownUntil: verification.cooldownUntil } : {}),
      frozen: verification.frozen,
      createdAt: verification.createdAt,
      updatedAt: verification.updatedAt,
      personalData,
      attempts: attemptsView(records, language),
      review: {
        ...(latest ? { current: reviewView(latest, now, language) } : {}),
        history: records.reviews.map((task) => reviewView(task, now, language)),
      },
      riskFlags: caseRiskFlags({
        verificationFlags: verification.riskFlags,
        attemptTimes: records.attempts.map(({ attempt }) => attempt.createdAt),
        windowSeconds,
        attemptsPerWindow,
        duplicates: records.attempts.flatMap(({ checks }) =>
          checks
            .filter((check) => check.name === 'duplicates' || check.name === 'liveness')
            .map((check) => ({ attemptId: check.attemptId, matchedUserIds: check.matchedUserIds ?? [] })),
        ),
        reasons: [...verification.reasons, ...records.attempts.flatMap(({ attempt }) => attempt.reasons)],
      }),
      processorLog: processorLog.map(processorView),
      notes: records.notes.map((note) => ({
        noteId: note.noteId,
        author: note.author,
        authorRole: note.authorRole,
        text: note.text,
        createdAt: note.createdAt,
      })),
      actions: caseActions(verificationId, open, caller.userId),
    });
  }).use(
    routeQuota({
      name: 'caseRead',
      quotas: () => getDeps().routeQuotas,
      config: () => getDeps().config,
      now: () => getDeps().clock.now(),
    }),
  );
}

export const handler = createGetCaseHandler();
