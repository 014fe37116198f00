/**
 * `LivenessService` over Amazon Rekognition Face Liveness (PRODUCT §3). A session belongs to one
 * attempt: it writes its reference and audit images into the short-lived intake bucket under the
 * attempt's own prefix `liveness/<verificationId>/<attemptId>/`, encrypted with our documents
 * key. The workflow reads a session's result only for the attempt whose prefix it carries, and
 * copies the images into the vault (Object Lock) only when the attempt goes to a decision;
 * images of abandoned attempts expire with the intake lifecycle.
 * `ClientRequestToken` is the attempt id: a retried create returns the same session.
 *
 * @example
 * ```ts
 * const liveness = new RekognitionLiveness({ outputBucket: 'kyc-intake', kmsKeyId: documentsKeyArn });
 * const { sessionId } = await liveness.createSession({ verificationId, attemptId });
 * ```
 */
import {
  CreateFaceLivenessSessionCommand,
  defaultRekognitionCalls,
  GetFaceLivenessSessionResultsCommand,
} from './rekognition-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { LivenessService, LivenessSessionResult } from '../../ports/liveness.ts';

export interface RekognitionLivenessOptions {
  /** Bucket that receives session images (the intake bucket: short-lived, lifecycle-expired). */
  readonly outputBucket: string;
  /** KMS key (ARN or id) that encrypts the session images. */
  readonly kmsKeyId: string;
  /** Audit images kept per session, 0-4 (1). */
  readonly auditImagesLimit?: number;
  /** Rekognition client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

/** Rekognition answered without the field the pipeline needs. */
export class LivenessServiceError extends Error {
  constructor(
    message: string,
    public readonly sessionId?: string,
  ) {
    super(message);
    this.name = 'LivenessServiceError';
  }
}

/** Key prefix of an attempt's session images (the same key in intake and, once copied, in the vault). */
export function livenessPrefix(verificationId: string, attemptId: string): string {
  return `liveness/${verificationId}/${attemptId}/`;
}

export class RekognitionLiveness implements LivenessService {
  private readonly client: JsonCalls;

  constructor(private readonly options: RekognitionLivenessOptions) {
    this.client = options.client ?? defaultRekognitionCalls();
  }

  async createSession(input: { readonly verificationId: string; readonly attemptId: string }) {
    const output = await this.client.send(
      new CreateFaceLivenessSessionCommand({
        KmsKeyId: this.options.kmsKeyId,
        ClientRequestToken: input.attemptId,
        Settings: {
          OutputConfig: {
            S3Bucket: this.options.outputBucket,
            S3KeyPrefix: livenessPrefix(input.verificationId, input.attemptId),
          },
          AuditImagesLimit: this.options.auditImagesLimit ?? 1,
        },
      }),
    );
    if (!output.SessionId) throw new LivenessServiceError('CreateFaceLivenessSession returned no SessionId');
    return { sessionId: output.SessionId };
  }

  async getResult(sessionId: string): Promise<LivenessSessionResult> {
    const output = await this.client.send(new GetFaceLivenessSessionResultsCommand({ SessionId: sessionId }));
    if (!output.Status) throw new LivenessServiceError('GetFaceLivenessSessionResults returned no Status', sessionId);
    const reference = output.ReferenceImage?.S3Object;
    const auditImages = (output.AuditImages ?? [])
      .map((image) => image.S3Object)
      .filter((object) => object?.Bucket && object.Name)
      .map((object) => ({ bucket: object?.Bucket as string, key: object?.Name as string }));
    return {
      sessionId,
      status: output.Status,
      ...(output.Confidence !== undefined ? { confidence: output.Confidence } : {}),
      ...(reference?.Bucket && reference.Name
        ? { referenceImage: { bucket: reference.Bucket, key: reference.Name } }
        : {}),
      ...(auditImages.length > 0 ? { auditImages } : {}),
      ...(output.$metadata?.requestId ? { requestId: output.$metadata.requestId } : {}),
    };
  }
}
