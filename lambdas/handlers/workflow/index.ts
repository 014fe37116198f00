/**
 * Every workflow step by the name the CDK construct gives its function (`KYC_WORKFLOW_TASK`),
 * so the local runtime and tests can run the synthesized state machine with in-process steps.
 */
import { decideStep } from './decide.ts';
import { documentDataStep } from './document-data.ts';
import { duplicatesStep } from './duplicates.ts';
import { faceMatchStep } from './face-match.ts';
import { finalizeApproveStep } from './finalize-approve.ts';
import { finalizeRejectStep } from './finalize-reject.ts';
import { livenessStep } from './liveness.ts';
import { loadAttemptStep } from './load-attempt.ts';
import { reopenStep } from './reopen.ts';
import { reviewEscalateStep } from './review-escalate.ts';
import { reviewTaskStep } from './review-task.ts';
import type { WorkflowStep } from './task.ts';

export const WORKFLOW_STEP_HANDLERS: Readonly<Record<string, WorkflowStep<unknown>>> = {
  'load-attempt': loadAttemptStep,
  'face-match': faceMatchStep,
  liveness: livenessStep,
  'document-data': documentDataStep,
  duplicates: duplicatesStep,
  decide: decideStep,
  'finalize-approve': finalizeApproveStep,
  'finalize-reject': finalizeRejectStep,
  'review-task': reviewTaskStep,
  'review-escalate': reviewEscalateStep,
  reopen: reopenStep,
};
