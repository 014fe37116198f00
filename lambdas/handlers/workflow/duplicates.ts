/**
 * Workflow check: searches the face collection for the selfie's face on another account
 * (PRODUCT §1: one face may verify only one account). The document-number side of duplicate
 * detection runs in the document-data step, which alone sees the number. Output: a hit flag
 * and a count; the matched user ids stay in the check record for the reviewer.
 *
 * The selfie's face is indexed first, then searched: of two accounts submitting one face at
 * once, the second to search finds the first's face whatever the order of their steps (its
 * index came before the other's search), so both cannot be approved automatically. A face
 * searched before it was indexed would be found by neither. The check records the face ids of
 * the attempt (faces carry `<userId>:<attemptId>`, so a run again after a stop finds the face
 * the stopped run indexed): approval keeps them (no second IndexFaces), rejection removes them
 * (`finalize-reject.ts`).
 */
import type { DuplicatesInput } from '../../domain/decision-policy.ts';
import { faceStepPorts, workflowSettings, type WorkflowDeps } from './deps.ts';
import type { WorkflowState } from './state.ts';
import { auditProcessing, requireEvidence, requireVerification } from './support.ts';
import { workflowTask } from './task.ts';

/** The ports the step takes. */
export type DuplicatesDeps = Pick<
  WorkflowDeps,
  'audit' | 'clock' | 'config' | 'faces' | 'functionName' | 'store' | 'vaultBucket'
>;

export async function duplicatesStep(
  state: WorkflowState,
  deps: DuplicatesDeps,
): Promise<DuplicatesInput & { readonly matchCount: number }> {
  const { verificationId, attemptId } = state;
  const [verification, { selfie }] = await Promise.all([
    requireVerification(deps, verificationId),
    requireEvidence(deps, verificationId, attemptId, 'selfie'),
  ]);
  // Indexed before the search (see above). A run again after a stop indexes once more; the search
  // finds the face the stopped run indexed, recorded with this one for the rejection to remove.
  const { faceId } = await deps.faces.indexFace(selfie, { userId: verification.userId, attemptId });
  const hits = await deps.faces.searchFaces(selfie, deps.config.identity.duplicateFaceSimilarity);
  const others = [...new Set(hits.filter((h) => h.userId !== verification.userId).map((h) => h.userId))];
  const ownFaces = hits.filter((h) => h.userId === verification.userId && h.attemptId === attemptId);
  const faceIds = [...new Set([faceId, ...ownFaces.flatMap((h) => (h.faceId ? [h.faceId] : []))])];
  const processors = [`${deps.faces.processor}:IndexFaces@selfie`, `${deps.faces.processor}:SearchFacesByImage@selfie`];
  const result = {
    kind: 'checked' as const,
    faceHit: others.length > 0,
    documentHit: false,
    matchCount: others.length,
  };
  await deps.store.recordCheck({
    verificationId,
    attemptId,
    name: 'duplicates',
    result,
    processors,
    matchedUserIds: others,
    faceIds,
    recordedAt: deps.clock.now().toISOString(),
  });
  await auditProcessing(deps, verificationId, attemptId, 'duplicates', processors, {
    faceHit: result.faceHit,
    matchCount: others.length,
  });
  return result;
}

export const handler = workflowTask('duplicates', duplicatesStep, () => ({
  ...workflowSettings(),
  ...faceStepPorts(),
}));
