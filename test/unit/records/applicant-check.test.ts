import { describe, expect, it } from 'vitest';
import { applicantCheck } from '../../../lambdas/handlers/http/me-data.ts';

describe("applicantCheck: a check in the person's data package", () => {
  it('keeps outcomes and reasons and names every score it leaves out, at any depth', () => {
    // Act
    const shown = applicantCheck({
      pk: 'V#v-1',
      name: 'duplicates',
      result: {
        faceHit: true,
        faces: [{ similarity: 99.2, external: 'kept' }, { score: 0.4 }],
        livenessConfidence: null,
        reasons: ['DUPLICATE_IDENTITY'],
      },
      matchedUserIds: ['someone-else'],
      faceIds: ['0b5d4c1e-face'],
      facesRemovedAt: '2026-12-04T04:00:00.000Z',
      processors: ['rekognition:SearchFacesByImage@selfie'],
    });

    // Assess: internal keys (storage ids such as the indexed face's) and other people's ids go too, as for every record
    expect(shown).toEqual({
      name: 'duplicates',
      result: {
        faceHit: true,
        faces: [{ external: 'kept' }, {}],
        livenessConfidence: null,
        reasons: ['DUPLICATE_IDENTITY'],
      },
      facesRemovedAt: '2026-12-04T04:00:00.000Z',
      processors: ['rekognition:SearchFacesByImage@selfie'],
      withheld: ['result.faces[0].similarity', 'result.faces[1].score'],
    });
  });

  it('leaves a check without scores as it is, with no withheld list', () => {
    // Act / Assess
    expect(applicantCheck({ name: 'decision', result: { outcome: 'approved', reasons: [] } })).toEqual({
      name: 'decision',
      result: { outcome: 'approved', reasons: [] },
    });
  });
});
