/**
 * Request body of `POST /v1/verifications` (PRODUCT §7). Unknown fields are refused at every
 * level, so a client typo fails loudly instead of being silently dropped.
 *
 * Names and addresses are normalised to Unicode NFC (so "é" typed as e + combining accent and
 * as one code point are the same name) and refused when they carry characters that make a
 * name display differently from what is stored: bidirectional controls (a reviewer would read
 * "Anna" where the bytes say "annA"), zero-width characters (two names that look identical but
 * differ) and lone surrogates (not text at all). Each refusal has its own code.
 */
import * as z from 'zod/mini';
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

/** Codes of refused personal-data input (the `code` of the 400 answer). */
export const INPUT_CODES = {
  /** U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C. */
  bidiControl: 'BIDI_CONTROL_CHARACTER',
  /** U+200B-U+200D, U+2060, U+FEFF. */
  zeroWidth: 'ZERO_WIDTH_CHARACTER',
  /** A UTF-16 surrogate without its pair (JSON `"\ud800"`). */
  loneSurrogate: 'INVALID_UNICODE',
  /** A date of birth after today. */
  futureDate: 'DATE_IN_FUTURE',
} as const;

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/u;
// In `u` mode a surrogate half matches \p{Cs} only when it is not part of a valid pair.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why a piece of text is refused, or `undefined` when it is acceptable.
 *
 * @example
 * ```ts
 * unsafeTextCode('Anna\u202EEriksson'); // 'BIDI_CONTROL_CHARACTER'
 * unsafeTextCode('Zoë');                // undefined
 * ```
 */
export function unsafeTextCode(value: string): string | undefined {
  if (LONE_SURROGATE.test(value)) return INPUT_CODES.loneSurrogate;
  if (BIDI_CONTROLS.test(value)) return INPUT_CODES.bidiControl;
  if (ZERO_WIDTH.test(value)) return INPUT_CODES.zeroWidth;
  return undefined;
}

const UNSAFE_MESSAGES: Readonly<Record<string, string>> = {
  [INPUT_CODES.loneSurrogate]: 'must be valid Unicode text (no lone surrogates)',
  [INPUT_CODES.bidiControl]: 'must not contain bidirectional control characters',
  [INPUT_CODES.zeroWidth]: 'must not contain zero-width characters',
};

/**
 * A string refused, with its own code (`unsafeTextCode`), when it holds bidi controls, zero-width
 * characters or lone surrogates: the first stage of every free-text field (names, addresses, and
 * the staff text of `staff-text.ts`).
 */
export const displaySafeString = () =>
  z.string().check(
    z.superRefine((value, context) => {
      const code = unsafeTextCode(value);
      if (code) context.addIssue({ code: 'custom', message: UNSAFE_MESSAGES[code] ?? code, params: { code } });
    }),
  );

// Letters, marks, spaces and the punctuation found in names and addresses; no control
// characters, no bidi controls, no zero-width characters; stored in NFC.
const printable = (max: number) =>
  z.pipe(
    z.pipe(
      displaySafeString(),
      z.transform((value: string) => value.normalize('NFC')),
    ),
    z.string().check(
      z.minLength(1),
      z.maxLength(max),
      z.refine((value) => value.trim().length > 0, 'must not be blank'),
      z.refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters'),
    ),
  );

/** Builds the schema against a clock, so "in the past" is testable. */
export function createVerificationSchema(now: () => Date) {
  return z.strictObject({
    level: z.enum(LEVELS),
    nationality: z.string().check(z.refine(isIsoAlpha3, 'must be an ISO 3166-1 alpha-3 country code such as GBR')),
    documentType: z.enum(DOCUMENT_TYPES),
    personalData: z.strictObject({
      fullName: printable(200),
      dateOfBirth: z.string().check(
        z.refine(isRealDate, 'must be a real date YYYY-MM-DD'),
        z.refine((value) => value >= EARLIEST_BIRTH, 'must be a date after 1900-01-01'),
        z.superRefine((value, context) => {
          if (value >= now().toISOString().slice(0, 10)) {
            context.addIssue({
              code: 'custom',
              message: 'must be in the past',
              params: { code: INPUT_CODES.futureDate },
            });
          }
        }),
      ),
      address: printable(500),
    }),
  });
}

export type CreateVerificationRequest = z.infer<ReturnType<typeof createVerificationSchema>>;

/**
 * Whole years between a date of birth and `today` (both `YYYY-MM-DD`, UTC calendar days).
 * Someone born on 29 February turns a year older on 1 March in common years.
 *
 * @example
 * ```ts
 * ageOn('2008-06-15', '2026-06-14'); // 17
 * ageOn('2008-06-15', '2026-06-15'); // 18
 * ```
 */
export function ageOn(dateOfBirth: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(dateOfBirth.slice(0, 4));
  return today.slice(5) >= dateOfBirth.slice(5) ? years : years - 1;
}
