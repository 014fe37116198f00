/**
 * A client of the KYC HTTP API that behaves exactly like a frontend: JSON calls with a bearer
 * token, uploads as standard S3 POSTs (multipart form: every presigned field, then `file`),
 * and polling of the verification until its status settles. Used by `kyc demo` and the
 * end-to-end tests; nothing in it knows it talks to the local runtime except
 * `completeLiveness`, which calls the local Rekognition stand-in's control route (in AWS the
 * frontend's Face Liveness component does the challenge).
 */
import type { Role } from '../../lambdas/domain/verification.ts';
import type { LocalSigningKey } from '../runtime/auth/local-signing-key.ts';
import { issueLocalToken } from '../runtime/auth/local-tokens.ts';

export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly retryAfterSeconds?: number;
}

/** The API answered with a non-2xx status; carries the `{ code, message }` body. */
export class KycApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly body: ApiErrorBody,
    public readonly operation: string,
  ) {
    super(`${operation} -> ${status} ${body.code}: ${body.message}`);
    this.name = 'KycApiError';
  }
}

export interface PresignedPost {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

export interface CreatedAttempt {
  readonly attemptId: string;
  readonly uploads: Readonly<Record<string, PresignedPost>>;
  readonly livenessSessionId?: string;
  readonly expiresAt?: string;
}

export interface VerificationView {
  readonly verificationId: string;
  readonly status: string;
  readonly level: string;
  readonly reasons: readonly { code: string; message: string; tip: string }[];
  readonly attempts: readonly Record<string, unknown>[];
  readonly [other: string]: unknown;
}

export interface NewVerification {
  readonly level: 'basic' | 'advanced';
  readonly nationality: string;
  readonly documentType: 'passport' | 'id_card' | 'driving_licence';
  readonly personalData: { readonly fullName: string; readonly dateOfBirth: string; readonly address: string };
}

/** Statuses after which nothing changes without a person or the user acting. */
export const SETTLED_STATUSES = ['approved', 'rejected', 'cooldown', 'manual_review', 'awaiting_upload'] as const;

/**
 * @example
 * ```ts
 * const client = await KycClient.forUser(apiUrl, 'alice');
 * const { verificationId } = await client.createVerification({ level: 'basic', ... });
 * ```
 */
export class KycClient {
  constructor(
    public readonly apiUrl: string,
    private readonly token: string,
    private readonly language = 'en',
  ) {}

  /**
   * A client holding a `user` token from the local runtime's `/_local/token` route (the route
   * mints staff roles only under `kyc local --dev-tokens`; use `forStaff` for those).
   */
  static async forUser(apiUrl: string, userId: string): Promise<KycClient> {
    const response = await fetch(`${apiUrl}/_local/token?user=${encodeURIComponent(userId)}&role=user`);
    if (!response.ok) throw new KycApiError(response.status, (await response.json()) as ApiErrorBody, 'token');
    const { token } = (await response.json()) as { token: string };
    return new KycClient(apiUrl, token);
  }

  /**
   * A client holding a staff-role token signed with the runtime's key from its data folder,
   * as `npx kyc token` issues them (never over HTTP).
   */
  static async forStaff(apiUrl: string, userId: string, role: Role, signingKey: LocalSigningKey): Promise<KycClient> {
    return new KycClient(apiUrl, await issueLocalToken(signingKey, { userId, role }));
  }

  /** Calls the API; resolves to the JSON body of a 2xx answer, throws `KycApiError` otherwise. */
  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        'accept-language': this.language,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    if (!response.ok) throw new KycApiError(response.status, parsed as ApiErrorBody, `${method} ${path}`);
    return parsed as T;
  }

  createVerification(input: NewVerification): Promise<{ verificationId: string; status: string }> {
    return this.call('POST', '/v1/verifications', input);
  }

  createAttempt(verificationId: string, contentTypes?: Record<string, string>): Promise<CreatedAttempt> {
    return this.call('POST', `/v1/verifications/${verificationId}/attempts`, contentTypes ? { contentTypes } : {});
  }

  getVerification(verificationId: string): Promise<VerificationView> {
    return this.call('GET', `/v1/verifications/${verificationId}`);
  }

  /**
   * Uploads a file through a presigned POST as a browser form would; resolves to the S3 status.
   * Throws with S3's error text when the upload is refused.
   */
  async upload(post: PresignedPost, file: Buffer, contentType: string, fileName = 'upload.jpg'): Promise<number> {
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(file)], { type: contentType }), fileName);
    const response = await fetch(post.url, { method: 'POST', body: form });
    if (response.status >= 300) {
      throw new Error(`Upload refused by S3: ${response.status} ${(await response.text()).slice(0, 300)}`);
    }
    return response.status;
  }

  /**
   * Completes a Face Liveness session through the local Rekognition's control route (proxied by
   * the runtime at `/_local/liveness-sessions/{id}/complete`), as the challenge UI would in AWS.
   * The route belongs to the session's owner: it gets this client's bearer token.
   */
  async completeLiveness(
    sessionId: string,
    frames: readonly { readonly prompt: string; readonly image: Buffer }[],
  ): Promise<void> {
    const response = await fetch(`${this.apiUrl}/_local/liveness-sessions/${encodeURIComponent(sessionId)}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({
        frames: frames.map((frame) => ({ prompt: frame.prompt, imageBase64: frame.image.toString('base64') })),
      }),
    });
    if (!response.ok) {
      const text = await response.text();
      let body: ApiErrorBody;
      try {
        body = JSON.parse(text) as ApiErrorBody;
      } catch {
        body = { code: 'UNKNOWN', message: text.slice(0, 300) };
      }
      throw new KycApiError(response.status, body, 'complete liveness');
    }
  }

  /**
   * Polls the verification until its status is one of `until` (default: any settled status
   * other than `awaiting_upload`), or throws after `timeoutMs`.
   */
  async waitForStatus(
    verificationId: string,
    options: { until?: readonly string[]; timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<VerificationView> {
    const until = options.until ?? SETTLED_STATUSES.filter((status) => status !== 'awaiting_upload');
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let last: VerificationView | undefined;
    while (Date.now() < deadline) {
      last = await this.getVerification(verificationId);
      if (until.includes(last.status)) return last;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
    }
    throw new Error(
      `Verification ${verificationId} still ${last?.status ?? 'unknown'} after ${options.timeoutMs ?? 60_000} ms (waiting for ${until.join('|')})`,
    );
  }
}
