import { describe, expect, it } from 'vitest';
import { readMrz } from '../../../lambdas/domain/mrz.ts';
import { PEOPLE } from '../../../scripts/fixtures/people.ts';
import { td1Lines, td3Lines } from '../../../scripts/fixtures/mrz.ts';

describe('fixture MRZ lines', () => {
  it.each(PEOPLE.map((p) => [p.id, p] as const))(
    'person %s: TD3 and TD1 parse with valid check digits',
    (_id, person) => {
      // Act
      const td3 = readMrz(td3Lines(person));
      const td1 = readMrz(td1Lines(person));
      // Assess
      expect(td3Lines(person).every((line) => line.length === 44)).toBe(true);
      expect(td1Lines(person).every((line) => line.length === 30)).toBe(true);
      expect(td3?.format).toBe('TD3');
      expect(td3?.documentNumber).toBe(person.passportNumber);
      expect(td3?.corrected).toBe(false);
      expect(td1?.format).toBe('TD1');
      expect(td1?.documentNumber).toBe(person.idCardNumber);
    },
  );
});
