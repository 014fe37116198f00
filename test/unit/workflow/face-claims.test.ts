import { describe, expect, it } from 'vitest';
import { duplicatesStep } from '../../../lambdas/handlers/workflow/duplicates.ts';
import { finalizeApproveStep } from '../../../lambdas/handlers/workflow/finalize-approve.ts';
import { finalizeRejectStep } from '../../../lambdas/handlers/workflow/finalize-reject.ts';
import { loadAttemptStep } from '../../../lambdas/handlers/workflow/load-attempt.ts';
import type { WorkflowState } from '../../../lambdas/handlers/workflow/state.ts';
import { fakeWorkflowWorld } from '../../support/workflow-fakes.ts';

// One face may verify one account (PRODUCT §1), also when two accounts submit it at the same
// moment: the duplicates check indexes the selfie's face before it searches, approval keeps that
// face, rejection removes it. The fake collection matches by person (`personOf`).
const first = { verificationId: 'ver-1', attemptId: 'att-1' };
const second = { verificationId: 'ver-2', attemptId: 'att-2' };

/** The workflow state of an automatic rejection of the first account's attempt. */
const rejection = (): WorkflowState => ({
  ...first,
  decision: {
    outcome: 'reject',
    reasons: ['FACE_NOT_MATCH'],
    causes: ['face_match:below_reject'],
    startsCooldown: false,
  },
});

/** The face hit of a duplicates check's output. */
const hit = (output: Awaited<ReturnType<typeof duplicatesStep>>): boolean | undefined =>
  output.kind === 'checked' ? output.faceHit : undefined;

/** Two accounts (user-1, user-2) whose selfies show one person. */
function twoAccountsOneFace() {
  const w = fakeWorkflowWorld();
  w.store.seed({ ...first, userId: 'user-1' });
  w.store.seed({ ...second, userId: 'user-2' });
  w.faces.personOf = () => 'the same person';
  return w;
}

describe('face claims', () => {
  it('indexes the selfie before searching, and records the face id on the check', async () => {
    // Prepare
    const w = twoAccountsOneFace();

    // Act
    const result = await duplicatesStep(first, w.deps);

    // Assess
    expect(w.faces.calls).toEqual(['indexFace', 'searchFaces']);
    expect(result).toMatchObject({ faceHit: false, matchCount: 0 });
    expect(await w.store.getCheck('ver-1', 'att-1', 'duplicates')).toMatchObject({
      faceIds: ['face-1'],
      processors: ['fake-rekognition:IndexFaces@selfie', 'fake-rekognition:SearchFacesByImage@selfie'],
    });
    expect(w.faces.indexed).toEqual([
      { key: 'evidence/ver-1/att-1/selfie', userId: 'user-1', attemptId: 'att-1', faceId: 'face-1' },
    ]);
  });

  it('two accounts checking one face at the same moment: both are flagged, neither can pass unseen', async () => {
    // Prepare
    const w = twoAccountsOneFace();

    // Act: the two checks interleave at every await (both index, then both search)
    const [one, two] = await Promise.all([duplicatesStep(first, w.deps), duplicatesStep(second, w.deps)]);

    // Assess
    expect(w.faces.calls).toEqual(['indexFace', 'indexFace', 'searchFaces', 'searchFaces']);
    expect([hit(one), hit(two)]).toEqual([true, true]);
    expect((await w.store.getCheck('ver-1', 'att-1', 'duplicates'))?.matchedUserIds).toEqual(['user-2']);
    expect((await w.store.getCheck('ver-2', 'att-2', 'duplicates'))?.matchedUserIds).toEqual(['user-1']);
  });

  it('one after the other: the second account finds the first, pending or approved', async () => {
    // Prepare
    const w = twoAccountsOneFace();

    // Act
    const one = await duplicatesStep(first, w.deps);
    const two = await duplicatesStep(second, w.deps);

    // Assess
    expect(hit(one)).toBe(false);
    expect(two).toMatchObject({ faceHit: true, matchCount: 1 });
  });

  it('approval keeps the face the check indexed, without indexing it again', async () => {
    // Prepare
    const w = twoAccountsOneFace();
    await loadAttemptStep(first, w.deps);
    await duplicatesStep(first, w.deps);

    // Act
    const approved = await finalizeApproveStep(first, w.deps);

    // Assess
    expect(approved.status).toBe('approved');
    expect(w.faces.calls.filter((call) => call === 'indexFace')).toHaveLength(1);
    expect(w.faces.indexed.map((face) => face.faceId)).toEqual(['face-1']);
    expect(JSON.stringify(w.audit.events.at(-1))).not.toContain('IndexFaces');
  });

  it('approval without a duplicates check (it failed, a reviewer approved) indexes the face itself', async () => {
    // Prepare
    const w = twoAccountsOneFace();
    await loadAttemptStep(first, w.deps);

    // Act
    await finalizeApproveStep(first, w.deps);

    // Assess
    expect(w.faces.indexed).toEqual([
      { key: 'evidence/ver-1/att-1/selfie', userId: 'user-1', attemptId: 'att-1', faceId: 'face-1' },
    ]);
  });

  it('rejection removes the face once, so it counts for no account and is not kept', async () => {
    // Prepare
    const w = twoAccountsOneFace();
    await loadAttemptStep(first, w.deps);
    await duplicatesStep(first, w.deps);
    const state = rejection();

    // Act
    const rejected = await finalizeRejectStep(state, w.deps);
    await finalizeRejectStep(state, w.deps);
    const later = await duplicatesStep(second, w.deps);

    // Assess
    expect(rejected.status).toBe('rejected');
    expect(w.faces.removed).toEqual(['face-1']);
    expect((await w.store.getCheck('ver-1', 'att-1', 'duplicates'))?.facesRemovedAt).toBeDefined();
    expect(hit(later)).toBe(false);
  });

  it('a rejection stopped after removing the face removes it again, harmlessly, and records it', async () => {
    // Prepare
    const w = twoAccountsOneFace();
    await loadAttemptStep(first, w.deps);
    await duplicatesStep(first, w.deps);
    const state = rejection();
    const record = w.store.recordCheck.bind(w.store);
    let stops = 1;
    w.store.recordCheck = async (check) => {
      if (check.name === 'duplicates' && stops-- > 0) throw new Error('process killed');
      return record(check);
    };

    // Act
    await expect(finalizeRejectStep(state, w.deps)).rejects.toThrow('process killed');
    await finalizeRejectStep(state, w.deps);

    // Assess
    expect(w.faces.removed).toEqual(['face-1', 'face-1']);
    expect((await w.store.getCheck('ver-1', 'att-1', 'duplicates'))?.facesRemovedAt).toBeDefined();
  });

  it('a check stopped after indexing and run again records both faces of the attempt, and the rejection removes both', async () => {
    // Prepare
    const w = twoAccountsOneFace();
    await loadAttemptStep(first, w.deps);
    const search = w.faces.searchFaces.bind(w.faces);
    let stops = 1;
    w.faces.searchFaces = async (image, threshold) => {
      if (stops-- > 0) throw new Error('process killed');
      return search(image, threshold);
    };

    // Act
    await expect(duplicatesStep(first, w.deps)).rejects.toThrow('process killed');
    await duplicatesStep(first, w.deps);
    await finalizeRejectStep(rejection(), w.deps);

    // Assess
    expect(w.faces.removed.sort()).toEqual(['face-1', 'face-2']);
    expect(w.faces.indexed).toEqual([]);
  });

  it('a case rejected and later approved (reopened) indexes its face again at approval', async () => {
    // Prepare
    const w = twoAccountsOneFace();
    await loadAttemptStep(first, w.deps);
    await duplicatesStep(first, w.deps);
    const check = await w.store.getCheck('ver-1', 'att-1', 'duplicates');
    await w.store.recordCheck({ ...check!, facesRemovedAt: '2026-12-04T00:00:00.000Z' });

    // Act
    await finalizeApproveStep(first, w.deps);

    // Assess
    expect(w.faces.calls.filter((call) => call === 'indexFace')).toHaveLength(2);
  });
});
