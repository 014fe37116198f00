/**
 * Object keys of the intake bucket: `intake/<verificationId>/<attemptId>/<slot>`. Kept apart from
 * the upload handler so functions that only read keys (the reconciler) do not bundle the
 * quality gate and its native image library.
 */
import { SLOTS, type Slot } from './verification.ts';

const KEY_PATTERN = new RegExp(`^intake/([\\w-]{1,64})/([\\w-]{1,64})/(${SLOTS.join('|')})$`);

/**
 * Parses `intake/<verificationId>/<attemptId>/<slot>`; `undefined` for any other key.
 *
 * @example
 * ```ts
 * parseIntakeKey('intake/v-1/a-1/selfie'); // { verificationId: 'v-1', attemptId: 'a-1', slot: 'selfie' }
 * ```
 */
export function parseIntakeKey(key: string): { verificationId: string; attemptId: string; slot: Slot } | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { verificationId: match[1] as string, attemptId: match[2] as string, slot: match[3] as Slot };
}
