/**
 * The deletion job (daily by default, `retention.purgeEveryHours`): deletes evidence whose
 * retention ended and is under no legal hold, with its records and index entries, audits each
 * deletion, and honours deferred erasure requests. It reads three work lists, each one Query on
 * the byStatus index (`RETENTION_INDEX`, sparse entries; never a scan):
 *
 *   RETENTION#CLOSED_ACCOUNT  relationshipEndedAt < now - years   -> everything of the person that
 *                                                                   may go (evidence, records, drafts)
 *   RETENTION#EVIDENCE        recordedAt < now - years (open accounts: the default lock ended)
 *                                                                -> that person's evidence that may go;
 *                                                                   the approved attempt of an open
 *                                                                   account stays (relationship_active)
 *   RETENTION#ERASURE         nextCheckAt < now                  -> the standing erasure request, again
 *
 * Each candidate is re-planned from its current state (`domain/records-erasure.ts`: Object Lock
 * date and legal hold of every object, the case's hold record, the closure), so an index entry
 * never decides a deletion by itself; S3 refuses a locked version anyway. Entries whose
 * evidence must stay for another reason leave the list (an open account's approved attempt:
 * its closure puts the person on the closed-account list) or stay for the next run (holds).
 *
 * @example
 * ```ts
 * const purge = createRecordsPurge();
 * await purge({ dryRun: true }); // { closedAccounts: 1, attemptsErased: 2, ... } and nothing changed
 * ```
 */
import middy from '@middy/core';
import { nextErasureCheck } from '../../domain/records-erasure.ts';
import { addYearsUtc } from '../../domain/retention.ts';
import { RETENTION_INDEX } from '../../domain/tables.ts';
import { defaultRecordsRightsDeps, type RecordsRightsDeps } from '../http/records-rights-deps.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { logger } from '../shared/logger.ts';
import { eraseUser, nothingLeft, type ErasedItem, type ErasureRun } from '../shared/records-eraser.ts';

/**
 * Entries read from each work list per run. Entries that stay listed (held, orphaned) are read
 * again every run, so the bound is generous: they must never crowd out what is due behind them.
 */
export const PURGE_BATCH = 10_000;

export const PURGE_ACTOR = 'system:records-purge';

export interface RecordsPurgeOptions {
  /** Report what would be deleted; change nothing. */
  readonly dryRun?: boolean;
}

export interface RecordsPurgeReport {
  readonly dryRun: boolean;
  /** People looked at, by work list. */
  readonly closedAccounts: number;
  readonly evidenceOwners: number;
  readonly deferredErasures: number;
  readonly attemptsErased: number;
  readonly verificationsErased: number;
  readonly evidenceObjectsDeleted: number;
  /** Attempts kept, by reason (legal_hold, relationship_active, retention_period). */
  readonly kept: Readonly<Record<string, number>>;
  /** What was (or would be) erased, per person. */
  readonly erased: ReadonlyArray<{ readonly userId: string; readonly items: readonly ErasedItem[] }>;
}

/** The job's logic with its dependencies given (tests, the local runtime, `kyc records purge`). */
export function createRecordsPurge(
  source: DepsSource<RecordsRightsDeps> = () => defaultRecordsRightsDeps(process.env, { requestScope: false }),
) {
  const getDeps = resolveDeps(source);
  return async function purgeRecords(options: RecordsPurgeOptions = {}): Promise<RecordsPurgeReport> {
    const deps = getDeps();
    const dryRun = options.dryRun === true;
    const now = deps.clock.now();
    const cutoff = addYearsUtc(now, -deps.evidenceYears);
    const reason = 'retention period ended (EU AMLD art. 40, 31 CFR 1020.220)';
    const done = new Map<string, ErasureRun>();
    const erased: Array<{ userId: string; items: readonly ErasedItem[] }> = [];
    const run = async (userId: string, drafts: 'erase' | 'keep', why = reason): Promise<ErasureRun> => {
      const previous = done.get(userId);
      if (previous) return previous;
      const result = await eraseUser(deps, userId, { drafts, actor: PURGE_ACTOR, reason: why, dryRun });
      done.set(userId, result);
      if (result.erased.length > 0) erased.push({ userId, items: result.erased });
      return result;
    };

    // 1. Closed accounts whose relationship ended more than `years` ago.
    const closed = await deps.records.due(RETENTION_INDEX.closedAccounts, cutoff, PURGE_BATCH);
    for (const entry of closed) {
      const userId = entry.parts.join('#');
      const result = await run(userId, 'erase');
      if (!dryRun && nothingLeft(result) && !(await deps.records.getDeferredErasure(userId))) {
        await deps.records.deleteClosure(userId);
        await deps.audit.append({
          subject: `account:${userId}`,
          action: 'account.records_purged',
          actor: PURGE_ACTOR,
          reason,
          details: { relationshipEndedAt: entry.date, verifications: result.verifications },
        });
      }
    }

    // 2. Vaulted documents whose default lock ended (open accounts).
    const evidence = await deps.records.due(RETENTION_INDEX.evidence, cutoff, PURGE_BATCH);
    const owners = new Set<string>();
    for (const entry of evidence) {
      const [verificationId = ''] = entry.parts;
      const items = await deps.records.verificationItems(verificationId);
      const userId = typeof items.meta?.userId === 'string' ? items.meta.userId : undefined;
      if (!userId) {
        // An orphan document (its verification record is gone): left for an operator, never guessed at.
        logger.warn('records purge: vaulted document without its verification', { verificationId });
        continue;
      }
      owners.add(userId);
      const closure = await deps.records.getClosure(userId);
      if (closure) {
        // The closed-account list owns a closed person's evidence, with its later date.
        if (!dryRun) await deps.records.dropFromWorkList(entry);
        continue;
      }
      const result = await run(userId, 'keep');
      const [, attemptId] = entry.parts;
      const kept = result.plan.retained.find(
        (item) => item.verificationId === verificationId && item.attemptId === attemptId,
      );
      // Kept while the relationship lasts: off the list until the account closes.
      if (kept?.reason === 'relationship_active' && !dryRun) await deps.records.dropFromWorkList(entry);
    }

    // 3. Deferred erasure requests due for another look.
    const erasures = await deps.records.due(RETENTION_INDEX.erasures, now, PURGE_BATCH);
    for (const entry of erasures) {
      const userId = entry.parts.join('#');
      const request = await deps.records.getDeferredErasure(userId);
      if (!request) continue;
      done.delete(userId); // earlier steps may have changed what is left
      const result = await run(userId, 'erase', 'deferred erasure request (GDPR art. 17)');
      if (dryRun) continue;
      const next = nextErasureCheck(result.plan, deps.clock.now(), deps.recheckDays);
      if (next) {
        await deps.records.putDeferredErasure({
          ...request,
          nextCheckAt: next.toISOString(),
          ...(result.plan.retainedUntil ? { retainedUntil: result.plan.retainedUntil.toISOString() } : {}),
          reason: result.plan.reason ?? request.reason,
        });
      } else {
        await deps.records.deleteDeferredErasure(userId);
        await deps.audit.append({
          subject: `account:${userId}`,
          action: 'erasure.completed',
          actor: PURGE_ACTOR,
          reason: 'deferred erasure request (GDPR art. 17)',
          details: { requestedAt: request.requestedAt, erased: result.erased.length },
        });
      }
    }

    const runs = [...done.values()];
    const items = erased.flatMap((entry) => entry.items);
    const kept: Record<string, number> = {};
    for (const item of runs.flatMap((result) => result.plan.retained)) kept[item.reason] = (kept[item.reason] ?? 0) + 1;
    const report: RecordsPurgeReport = {
      dryRun,
      closedAccounts: closed.length,
      evidenceOwners: owners.size,
      deferredErasures: erasures.length,
      attemptsErased: items.filter((item) => item.kind === 'attempt').length,
      verificationsErased: items.filter((item) => item.kind === 'verification').length,
      evidenceObjectsDeleted: items.reduce((sum, item) => sum + (item.kind === 'attempt' ? item.vaultObjects : 0), 0),
      kept,
      erased,
    };
    const { erased: _details, ...counts } = report;
    logger.info('records purge', { ...counts });
    return report;
  };
}

const purge = createRecordsPurge();

/** Scheduled invocation (EventBridge Scheduler): a real run; answers the counts (no ids). */
export const handler = middy(async () => {
  const { erased: _details, ...counts } = await purge();
  return counts;
});
