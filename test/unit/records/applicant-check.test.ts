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
      processors: ['rekognition:SearchFacesByImage@selfie'],
    });

    // Assess: internal keys and other people's ids go too, as for every record
    expect(shown).toEqual({
      name: 'duplicates',
      result: {
        faceHit: true,
        faces: [{ external: 'kept' }, {}],
        livenessConfidence: null,
        reasons: ['DUPLICATE_IDENTITY'],
      },
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
