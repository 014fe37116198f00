/**
 * Request body of `POST /v1/verifications` (PRODUCT §7). Unknown fields are refused at every
 * level, so a client typo fails loudly instead of being silently dropped.
 */
import { z } from 'zod';
import { isIsoAlpha3 } from '../../domain/countries.ts';
import { DOCUMENT_TYPES, LEVELS } from '../../domain/verification.ts';

/** Oldest accepted date of birth: anything earlier is a typo, not a customer. */
const EARLIEST_BIRTH = '1900-01-01';

/** A real calendar date `YYYY-MM-DD` (rejects 2023-02-30). */
export function isRealDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

// Letters, marks, spaces and the punctuation found in names and addresses; no control characters.
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => value.trim().length > 0, 'must not be blank')
    .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters');

/** Builds the schema against a clock, so "in the past" is testable. */
export function createVerificationSchema(now: () => Date) {
  return z.strictObject({
    level: z.enum(LEVELS),
    nationality: z.string().refine(isIsoAlpha3, 'must be an ISO 3166-1 alpha-3 country code such as GBR'),
    documentType: z.enum(DOCUMENT_TYPES),
    personalData: z.strictObject({
      fullName: printable(200),
      dateOfBirth: z
        .string()
        .refine(isRealDate, 'must be a real date YYYY-MM-DD')
        .refine(
          (value) => value >= EARLIEST_BIRTH && value < now().toISOString().slice(0, 10),
          'must be a past date after 1900-01-01',
        ),
      address: printable(500),
    }),
  });
}

export type CreateVerificationRequest = z.infer<ReturnType<typeof createVerificationSchema>>;
