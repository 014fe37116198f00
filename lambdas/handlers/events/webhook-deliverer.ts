/**
 * EventBridge rule target (enabled by `config.features.webhooks`): delivers a "Verification
 * Status Changed" event to the integrator's webhook URL as JSON, signed with HMAC-SHA256 over
 * `<timestamp>.<body>` (`domain/webhook-signature.ts`). The secret comes from Secrets Manager
 * (cached for 5 minutes) and never leaves the function. The body holds the event's ids,
 * status and reason codes only.
 *
 * Retries: a few quick tries with exponential backoff and full jitter inside the invocation;
 * then the invocation fails, Lambda's asynchronous retries and the rule target's retry policy
 * take over, and what still fails lands in the dead-letter queues.
 */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { EVENT_SOURCE, STATUS_CHANGED } from '../../adapters/aws/eventbridge-status-events.ts';
import { defaultSecretsManagerCalls, GetSecretValueCommand } from '../../adapters/aws/secrets-manager-commands.ts';
import { signatureHeaders } from '../../domain/webhook-signature.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { logger } from '../shared/logger.ts';

/** The webhook answered with a non-2xx status or could not be reached. */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebhookDeliveryError';
  }
}

export interface WebhookDeps {
  readonly url: string;
  readonly secret: () => Promise<string>;
  readonly fetch: typeof fetch;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Tries per invocation (3). */
  readonly tries?: number;
  /** Base backoff in milliseconds (200). */
  readonly baseDelayMs?: number;
}

const SECRET_TTL_MS = 5 * 60 * 1000;

function defaultDeps(env: NodeJS.ProcessEnv = process.env): WebhookDeps {
  const config = configFromEnv(env);
  if (!config.webhookUrl) throw new WebhookDeliveryError('webhookUrl is not configured');
  const client = defaultSecretsManagerCalls();
  const secretId = requireEnv('webhookSecretArn', env);
  let cached: { value: string; at: number } | undefined;
  return {
    url: config.webhookUrl,
    secret: async () => {
      if (cached && Date.now() - cached.at < SECRET_TTL_MS) return cached.value;
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!output.SecretString) throw new WebhookDeliveryError('webhook secret is empty');
      cached = { value: output.SecretString, at: Date.now() };
      return cached.value;
    },
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** The webhook body: the event id, type, time and its (PII-free) detail. */
export function webhookBody(event: EventBridgeEvent<string, Record<string, unknown>>): string {
  const detail = event.detail ?? {};
  return JSON.stringify({
    id: event.id,
    type: event['detail-type'],
    time: event.time,
    data: {
      verificationId: detail.verificationId,
      ...(detail.attemptId ? { attemptId: detail.attemptId } : {}),
      status: detail.status,
      reasons: Array.isArray(detail.reasons) ? detail.reasons : [],
    },
  });
}

/**
 * Why an event is not ours to sign, or undefined when it is: only source `serverless-kyc`,
 * detail type `Verification Status Changed`, and a detail of ids, a status and reason codes.
 * The rule already filters on source and type; this check holds even if the rule is widened or
 * the function is invoked directly, so the deliverer never signs a forged event.
 */
export function foreignEventReason(event: EventBridgeEvent<string, Record<string, unknown>>): string | undefined {
  if (event.source !== EVENT_SOURCE) return 'FOREIGN_SOURCE';
  if (event['detail-type'] !== STATUS_CHANGED) return 'FOREIGN_DETAIL_TYPE';
  const detail = event.detail as Record<string, unknown> | undefined;
  const id = /^[A-Za-z0-9_-]{1,64}$/;
  if (typeof detail?.verificationId !== 'string' || !id.test(detail.verificationId)) return 'INVALID_DETAIL';
  if (detail.attemptId !== undefined && (typeof detail.attemptId !== 'string' || !id.test(detail.attemptId))) {
    return 'INVALID_DETAIL';
  }
  if (typeof detail.status !== 'string' || !/^[a-z_]{1,32}$/.test(detail.status)) return 'INVALID_DETAIL';
  const reasons = detail.reasons ?? [];
  if (!Array.isArray(reasons) || !reasons.every((code) => typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code))) {
    return 'INVALID_DETAIL';
  }
  return undefined;
}

export function createWebhookDeliverer(deps: DepsSource<WebhookDeps> = () => defaultDeps()) {
  const getDeps = resolveDeps(deps);
  return middy(async function deliverWebhook(event: EventBridgeEvent<string, Record<string, unknown>>) {
    const refused = foreignEventReason(event);
    if (refused) {
      // Not retried: a forged or malformed event never becomes valid. Logged with ids and a code only.
      logger.warn('webhook event refused', { eventId: event.id, code: refused });
      return { delivered: false, refused };
    }
    const d = getDeps();
    const body = webhookBody(event);
    const secret = await d.secret();
    const tries = d.tries ?? 3;
    let lastError: WebhookDeliveryError | undefined;
    for (let attempt = 1; attempt <= tries; attempt += 1) {
      try {
        const response = await d.fetch(d.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signatureHeaders(secret, body, d.now()) },
          body,
          signal: AbortSignal.timeout(5000),
        });
        if (response.ok) {
          logger.info('webhook delivered', { eventId: event.id, status: response.status, attempt });
          return { delivered: true, status: response.status, attempts: attempt };
        }
        lastError = new WebhookDeliveryError(`webhook answered ${response.status}`, response.status);
        // A 4xx other than 408/429 will not get better by retrying now; let the DLQ keep it.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
      } catch (error) {
        lastError = new WebhookDeliveryError('webhook unreachable', undefined, { cause: error });
      }
      if (attempt < tries) {
        const cap = (d.baseDelayMs ?? 200) * 2 ** (attempt - 1);
        await d.sleep(Math.random() * cap);
      }
    }
    logger.warn('webhook delivery failed', { eventId: event.id, status: lastError?.status });
    throw lastError ?? new WebhookDeliveryError('webhook delivery failed');
  });
}

export const handler = createWebhookDeliverer();
