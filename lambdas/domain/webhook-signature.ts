/**
 * Webhook signatures (PRODUCT §4: optional signed webhook). The receiver recomputes
 * HMAC-SHA256 over `<timestamp>.<body>` with the shared secret and compares in constant time;
 * the timestamp header lets it refuse replays older than a few minutes. The secret itself is
 * never sent.
 *
 * Headers: `X-KYC-Timestamp: <unix seconds>`, `X-KYC-Signature: v1=<hex>`.
 *
 * @example
 * ```ts
 * const headers = signatureHeaders(secret, body, new Date());
 * verifyWebhookSignature(secret, body, headers['X-KYC-Timestamp'], headers['X-KYC-Signature'], new Date()); // true
 * ```
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-KYC-Timestamp';
export const SIGNATURE_HEADER = 'X-KYC-Signature';
/** Largest clock difference a receiver should accept (5 minutes, as Stripe and Slack do). */
export const MAX_SIGNATURE_AGE_SECONDS = 300;

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeaders(secret: string, body: string, now: Date): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${webhookSignature(secret, timestamp, body)}` };
}

/** What a receiver does: signature matches and the timestamp is recent. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  timestamp: string | undefined,
  signature: string | undefined,
  now: Date,
): boolean {
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > MAX_SIGNATURE_AGE_SECONDS) return false;
  const expected = Buffer.from(`v1=${webhookSignature(secret, timestamp, body)}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
