/**
 * Workflow check: compares the selfie with the portrait on the document front (Rekognition
 * CompareFaces on both vault objects). Output: the similarity score only.
 */
import type { FaceMatchInput } from '../../domain/decision-policy.ts';
import { faceStepPorts, workflowRuntime, type WorkflowDeps } from './deps.ts';
import type { WorkflowState } from './state.ts';
import { auditProcessing, requireEvidence } from './support.ts';
import { workflowTask } from './task.ts';

/** The ports the step takes. */
export type FaceMatchDeps = Pick<WorkflowDeps, 'audit' | 'clock' | 'faces' | 'functionName' | 'store' | 'vaultBucket'>;

export async function faceMatchStep(state: WorkflowState, deps: FaceMatchDeps): Promise<FaceMatchInput> {
  const { verificationId, attemptId } = state;
  const { selfie, document_front: portrait } = await requireEvidence(
    deps,
    verificationId,
    attemptId,
    'selfie',
    'document_front',
  );
  const match = await deps.faces.compareFaces(selfie, portrait);
  const similarity = Math.round(match.similarity * 100) / 100;
  const processors = [
    `${deps.faces.processor}:CompareFaces@selfie`,
    `${deps.faces.processor}:CompareFaces@document_front`,
  ];
  const result: FaceMatchInput = { kind: 'scored', similarity };
  await deps.store.recordCheck({
    verificationId,
    attemptId,
    name: 'face_match',
    result,
    processors,
    recordedAt: deps.clock.now().toISOString(),
  });
  await auditProcessing(deps, verificationId, attemptId, 'face_match', processors, { similarity });
  return result;
}

export const handler = workflowTask('face-match', faceMatchStep, () => ({ ...workflowRuntime(), ...faceStepPorts() }));
