/**
 * Amazon Rekognition Face Liveness, server side (PRODUCT §3). The frontend runs the challenge
 * with the session id; the pipeline alone reads and judges the result.
 */
export interface LivenessSessionResult {
  readonly sessionId: string;
  /** CREATED | IN_PROGRESS | SUCCEEDED | FAILED | EXPIRED */
  readonly status: string;
  /** 0-100 */
  readonly confidence?: number;
  /** Where the reference image was written (vault bucket), when the service stored one. */
  readonly referenceImage?: { readonly bucket: string; readonly key: string };
  /** The service's request id of the result read (processor log). */
  readonly requestId?: string;
}

export interface LivenessService {
  createSession(input: { readonly verificationId: string; readonly attemptId: string }): Promise<{ sessionId: string }>;
  getResult(sessionId: string): Promise<LivenessSessionResult>;
}
