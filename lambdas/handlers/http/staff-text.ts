/**
 * Free text staff write into the record: the reason of a document view, an export, a legal hold,
 * an account closure or a reset, and the notes of decisions and cases. It is shown later to
 * other people (the console, the audit trail, `kyc watermark trace` in a terminal), so it must
 * read as it is stored: bidirectional controls, zero-width characters and lone surrogates are
 * refused with their own codes (`displaySafeString`, as for names), other control characters
 * (escape sequences, carriage returns, NUL) are refused, line breaks and tabs only where the text
 * may span lines (notes). Stored trimmed, in Unicode NFC.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ reason: staffText({ min: 3, max: 500 }) });
 * validateBody(schema, { reason: 'routine\u001b[2K' }); // 400 VALIDATION_ERROR
 * validateBody(schema, { reason: 'audit\u202e' });      // 400 BIDI_CONTROL_CHARACTER
 * ```
 */
import * as z from 'zod/mini';
import { displaySafeString } from './verification-schema.ts';

/** Control characters (Unicode `Cc`) other than line feed and tab. */
const CONTROL_BUT_LINES = /[^\P{Cc}\n\t]/u;
const CONTROL = /\p{Cc}/u;

export function staffText(options: { readonly min: number; readonly max: number; readonly multiline?: boolean }) {
  const control = options.multiline ? CONTROL_BUT_LINES : CONTROL;
  return z.pipe(
    z.pipe(
      displaySafeString(),
      z.transform((value: string) => value.normalize('NFC').trim()),
    ),
    z.string().check(
      z.minLength(options.min),
      z.maxLength(options.max),
      z.refine(
        (value) => !control.test(value),
        options.multiline
          ? 'must not contain control characters other than line breaks and tabs'
          : 'must not contain control characters',
      ),
    ),
  );
}
