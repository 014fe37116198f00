/**
 * Workflow step: applies the decision policy (`domain/decision-policy.ts`) to the checks'
 * results, records the decision and audits it. Output: outcome, reason codes and causes.
 */
import { decide, type Decision } from '../../domain/decision-policy.ts';
import { OPERATIONAL_METRICS, OUTCOME_DIMENSION } from '../../domain/operational-metrics.ts';
import { auditLog, operationalMetrics, workflowSettings, workflowStore, type WorkflowDeps } from './deps.ts';
import { InvalidWorkflowInputError, type WorkflowState } from './state.ts';
import { subjectOf, workflowTask } from './task.ts';

/** The ports the step takes. */
export type DecideDeps = Pick<WorkflowDeps, 'audit' | 'clock' | 'config' | 'functionName' | 'metrics' | 'store'>;

export async function decideStep(state: WorkflowState, deps: DecideDeps): Promise<Decision> {
  const { context, checks, verificationId, attemptId } = state;
  if (!context || !checks) throw new InvalidWorkflowInputError('decide needs $.context and $.checks');
  const { documentHit, ...document } = checks.document as typeof checks.document & { documentHit?: boolean };
  const duplicates =
    checks.duplicates.kind === 'checked'
      ? { ...checks.duplicates, documentHit: documentHit === true }
      : documentHit
        ? { kind: 'checked' as const, faceHit: false, documentHit: true }
        : checks.duplicates;
  const decision = decide(
    {
      level: context.level,
      faceMatch: checks.faceMatch,
      liveness: checks.liveness,
      document,
      duplicates,
      consecutiveFailures: context.consecutiveFailures,
      afterCooldown: context.afterCooldown,
    },
    deps.config,
  );
  await deps.store.recordCheck({
    verificationId,
    attemptId,
    name: 'decision',
    result: { outcome: decision.outcome, reasons: decision.reasons, causes: decision.causes },
    processors: ['decision-policy'],
    recordedAt: deps.clock.now().toISOString(),
  });
  await deps.audit.append({
    subject: subjectOf(verificationId),
    action: 'workflow.decided',
    actor: `system:${deps.functionName ?? 'decide'}`,
    details: { attemptId, outcome: decision.outcome, reasons: decision.reasons, causes: decision.causes },
  });
  // Approvals and rejections are counted where they become final (finalize steps); a case
  // entering the review queue is counted here, once per automatic decision.
  if (decision.outcome === 'manual_review') {
    deps.metrics?.count(OPERATIONAL_METRICS.decision, { [OUTCOME_DIMENSION]: 'manual_review' });
  }
  return decision;
}

export const handler = workflowTask('decide', decideStep, () => {
  const settings = workflowSettings();
  return { ...settings, store: workflowStore(), audit: auditLog(), metrics: operationalMetrics(settings.config) };
});
