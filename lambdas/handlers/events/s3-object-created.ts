/**
 * Shape of the EventBridge `Object Created` event S3 sends for the intake bucket, validated
 * before use: anything else is logged with the reason and dropped (a malformed event would
 * fail again on every retry).
 */
import * as z from 'zod';

export const objectCreatedEventSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3).max(63) }),
    object: z.object({
      key: z.string().min(1).max(1024),
      size: z.number().int().nonnegative().optional(),
      'version-id': z.string().min(1).max(1024).optional(),
    }),
  }),
});

export type ObjectCreatedEvent = z.infer<typeof objectCreatedEventSchema>;

/** S3 URL-encodes some keys in events (`+` for space); ours never need it, but decode safely. */
export function decodeEventKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}
