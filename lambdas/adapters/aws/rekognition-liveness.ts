/**
 * `LivenessService` over Amazon Rekognition Face Liveness (PRODUCT §3). Sessions write their
 * reference and audit images into the vault bucket under `liveness/<verificationId>/<attemptId>/`
 * encrypted with our documents key, so the evidence stays under Object Lock with the rest.
 * `ClientRequestToken` is the attempt id: a retried create returns the same session.
 *
 * @example
 * ```ts
 * const liveness = new RekognitionLiveness({ vaultBucket: 'kyc-vault', kmsKeyId: documentsKeyArn });
 * const { sessionId } = await liveness.createSession({ verificationId, attemptId });
 * ```
 */
import {
  CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import type { LivenessService, LivenessSessionResult } from '../../ports/liveness.ts';

export interface RekognitionLivenessOptions {
  /** Vault bucket that receives session images. */
  readonly vaultBucket: string;
  /** KMS key (ARN or id) that encrypts the session images. */
  readonly kmsKeyId: string;
  /** Audit images kept per session, 0-4 (1). */
  readonly auditImagesLimit?: number;
  /** Rekognition client (a default client for the function's region). */
  readonly client?: RekognitionClient;
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

/** Key prefix of a session's images in the vault. */
export function livenessPrefix(verificationId: string, attemptId: string): string {
  return `liveness/${verificationId}/${attemptId}/`;
}

export class RekognitionLiveness implements LivenessService {
  private readonly client: RekognitionClient;

  constructor(private readonly options: RekognitionLivenessOptions) {
    this.client = options.client ?? new RekognitionClient({});
  }

  async createSession(input: { readonly verificationId: string; readonly attemptId: string }) {
    const output = await this.client.send(
      new CreateFaceLivenessSessionCommand({
        KmsKeyId: this.options.kmsKeyId,
        ClientRequestToken: input.attemptId,
        Settings: {
          OutputConfig: {
            S3Bucket: this.options.vaultBucket,
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
    return {
      sessionId,
      status: output.Status,
      ...(output.Confidence !== undefined ? { confidence: output.Confidence } : {}),
      ...(reference?.Bucket && reference.Name
        ? { referenceImage: { bucket: reference.Bucket, key: reference.Name } }
        : {}),
      ...(output.$metadata?.requestId ? { requestId: output.$metadata.requestId } : {}),
    };
  }
}
