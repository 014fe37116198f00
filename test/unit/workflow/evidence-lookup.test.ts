/**
 * The workflow steps' evidence lookup: the vault objects of an attempt's accepted documents for
 * every slot a step needs, from one read of the attempt's documents.
 */
import { describe, expect, it } from 'vitest';
import { MissingEvidenceError } from '../../../lambdas/handlers/workflow/errors.ts';
import { findEvidence, requireEvidence } from '../../../lambdas/handlers/workflow/support.ts';
import { FakeClock, InMemoryWorkflowStore } from '../../support/workflow-fakes.ts';

function world() {
  const store = new InMemoryWorkflowStore(new FakeClock());
  store.seed({
    verificationId: 'v-1',
    attemptId: 'a-1',
    documentType: 'id_card',
    slots: ['document_front', 'document_back', 'selfie'],
  });
  let reads = 0;
  const counting = Object.assign(Object.create(store) as InMemoryWorkflowStore, {
    listDocuments: (verificationId: string, attemptId: string) => {
      reads += 1;
      return store.listDocuments(verificationId, attemptId);
    },
  });
  return { store, deps: { store: counting, vaultBucket: 'vault' }, reads: () => reads };
}

describe('workflow evidence lookup', () => {
  it('answers every slot asked for from one read of the documents', async () => {
    // Prepare
    const { deps, reads } = world();

    // Act
    const found = await requireEvidence(deps, 'v-1', 'a-1', 'selfie', 'document_front', 'document_back');

    // Assess
    expect(reads()).toBe(1);
    expect(found).toEqual({
      selfie: { bucket: 'vault', key: 'evidence/v-1/a-1/selfie' },
      document_front: { bucket: 'vault', key: 'evidence/v-1/a-1/document_front' },
      document_back: { bucket: 'vault', key: 'evidence/v-1/a-1/document_back' },
    });
  });

  it('leaves out a rejected document and one not yet in the vault, and names the missing slot', async () => {
    // Prepare
    const { store, deps } = world();
    const back = store.documents.get('v-1/a-1/document_back')!;
    store.documents.set('v-1/a-1/document_back', { ...back, result: 'rejected', reasons: ['PHOTO_TOO_BLURRY'] });
    const selfie = store.documents.get('v-1/a-1/selfie')!;
    store.documents.set('v-1/a-1/selfie', { ...selfie, vaultKey: undefined });

    // Act
    const found = await findEvidence(deps, 'v-1', 'a-1', 'document_front', 'document_back', 'selfie');
    const required = requireEvidence(deps, 'v-1', 'a-1', 'document_front', 'selfie');

    // Assess
    expect(found.document_front).toEqual({ bucket: 'vault', key: 'evidence/v-1/a-1/document_front' });
    expect(found.document_back).toBeUndefined();
    expect(found.selfie).toBeUndefined();
    await expect(required).rejects.toBeInstanceOf(MissingEvidenceError);
    await expect(required).rejects.toThrow(/selfie/);
  });
});
