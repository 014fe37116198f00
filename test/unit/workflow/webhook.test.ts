import type { EventBridgeEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature, webhookSignature } from '../../../lambdas/domain/webhook-signature.ts';
import { createWebhookDeliverer, type WebhookDeps } from '../../../lambdas/handlers/events/webhook-deliverer.ts';
import { lambdaContext } from '../intake/http-events.ts';

const SECRET = 'shared-secret-never-sent';
const now = new Date('2026-01-01T00:00:00Z');

const event = {
  id: 'evt-1',
  source: 'serverless-kyc',
  'detail-type': 'Verification Status Changed',
  time: '2026-01-01T00:00:00Z',
  detail: { verificationId: 'v-1', attemptId: 'a-1', status: 'rejected', reasons: ['FACE_NOT_MATCH'] },
} as unknown as EventBridgeEvent<string, Record<string, unknown>>;

function deps(statuses: number[], sent: Array<{ headers: Record<string, string>; body: string }>): WebhookDeps {
  return {
    url: 'https://hooks.example.com/kyc',
    secret: async () => SECRET,
    now: () => now,
    sleep: async () => undefined,
    fetch: (async (_url: string, init: { headers: Record<string, string>; body: string }) => {
      sent.push({ headers: init.headers, body: init.body });
      const status = statuses.shift() ?? 500;
      return { ok: status < 300, status } as Response;
    }) as unknown as typeof fetch,
  };
}

describe('webhook deliverer', () => {
  it('signs timestamp + "." + body; the receiver verifies it; the secret is not sent', async () => {
    // Prepare
    const sent: Array<{ headers: Record<string, string>; body: string }> = [];

    // Act
    const result = await createWebhookDeliverer(deps([200], sent))(event, lambdaContext);

    // Assess
    expect(result).toMatchObject({ delivered: true, attempts: 1 });
    const [request] = sent;
    expect(
      verifyWebhookSignature(
        SECRET,
        request!.body,
        request!.headers['X-KYC-Timestamp'],
        request!.headers['X-KYC-Signature'],
        now,
      ),
    ).toBe(true);
    expect(JSON.stringify(request)).not.toContain(SECRET);
    expect(JSON.parse(request!.body)).toEqual({
      id: 'evt-1',
      type: 'Verification Status Changed',
      time: '2026-01-01T00:00:00Z',
      data: { verificationId: 'v-1', attemptId: 'a-1', status: 'rejected', reasons: ['FACE_NOT_MATCH'] },
    });
  });

  it('retries 5xx with backoff and succeeds', async () => {
    // Prepare
    const sent: Array<{ headers: Record<string, string>; body: string }> = [];

    // Act
    const result = await createWebhookDeliverer(deps([503, 502, 200], sent))(event, lambdaContext);

    // Assess
    expect(result).toMatchObject({ delivered: true, attempts: 3 });
  });

  it.each([
    ['keeps failing with 5xx', [500, 500, 500], 3],
    ['is refused with 400 (no pointless retries)', [400], 1],
  ])('fails the invocation (for the retry policy and DLQ) when the receiver %s', async (_name, statuses, tries) => {
    // Prepare
    const sent: Array<{ headers: Record<string, string>; body: string }> = [];

    // Act / Assess
    await expect(createWebhookDeliverer(deps(statuses, sent))(event, lambdaContext)).rejects.toMatchObject({
      name: 'WebhookDeliveryError',
    });
    expect(sent).toHaveLength(tries);
  });

  it.each([
    ['a tampered body', '{"a":2}', 0],
    ['an old timestamp', '{"a":1}', 301],
  ])('the receiver refuses %s', (_name, receivedBody, ageSeconds) => {
    // Prepare
    const timestamp = String(Math.floor(now.getTime() / 1000) - ageSeconds);
    const signature = `v1=${webhookSignature(SECRET, timestamp, '{"a":1}')}`;

    // Act / Assess
    expect(verifyWebhookSignature(SECRET, receivedBody, timestamp, signature, now)).toBe(false);
  });

  it.each([
    ['another source', { source: 'attacker.app' }, 'FOREIGN_SOURCE'],
    ['another detail type', { 'detail-type': 'Verification Review Escalated' }, 'FOREIGN_DETAIL_TYPE'],
    [
      'a detail with personal data in place of a status',
      { detail: { verificationId: 'v-1', status: 'Jane Doe 1990' } },
      'INVALID_DETAIL',
    ],
    ['a detail without verification id', { detail: { status: 'approved', reasons: [] } }, 'INVALID_DETAIL'],
    [
      'reasons that are not codes',
      { detail: { verificationId: 'v-1', status: 'approved', reasons: [{ a: 1 }] } },
      'INVALID_DETAIL',
    ],
  ])('refuses to sign or send an event with %s', async (_name, override, code) => {
    // Prepare
    const sent: Array<{ headers: Record<string, string>; body: string }> = [];
    const deliver = createWebhookDeliverer(() => deps([200], sent));
    const forged = { ...event, ...override } as EventBridgeEvent<string, Record<string, unknown>>;

    // Act
    const result = await deliver(forged, lambdaContext);

    // Assess
    expect(result).toEqual({ delivered: false, refused: code });
    expect(sent).toEqual([]);
  });
});
