/**
 * What every Rekognition adapter that reads evidence shares: the client, the vault image as
 * Rekognition reads it (`S3Object` with version, so no image passes through the function), and
 * the processor log, which records each image handed over (PRODUCT §5: which processor handled
 * which image), also when the call failed.
 *
 * @example
 * ```ts
 * class RekognitionX extends RekognitionVaultCalls {
 *   detect(ref: ImageRef) {
 *     return this.sendLogged('DetectText', 'document_data', [ref], () => this.client.send(command(vaultImage(ref))));
 *   }
 * }
 * ```
 */
import type { Image } from '@aws-sdk/client-rekognition';
import { defaultRekognitionCalls } from './rekognition-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { ImageRef } from '../../ports/face-service.ts';
import type { ProcessorLog, ProcessorPurpose } from '../../ports/processor-log.ts';

export interface RekognitionVaultCallsOptions {
  /** Rekognition client (a default client for the function's region). */
  readonly client?: JsonCalls;
  /** Where every call that sends an image is recorded (PRODUCT §5); none: not recorded. */
  readonly processorLog?: ProcessorLog;
}

/** `<prefix>/<verificationId>/<attemptId>/...`: the case an evidence object belongs to. */
const OBJECT_OWNER = /^(?:evidence|liveness|intake)\/([\w-]{1,64})\/([\w-]{1,64})\//;

/** The verification and attempt an evidence key names (`unattributed` for a key of no case). */
export function objectOwner(key: string): { verificationId: string; attemptId?: string } {
  const match = OBJECT_OWNER.exec(key);
  return match ? { verificationId: match[1]!, attemptId: match[2]! } : { verificationId: 'unattributed' };
}

/** A vault object as Rekognition reads it. */
export function vaultImage(ref: ImageRef): Image {
  return { S3Object: { Bucket: ref.bucket, Name: ref.key, ...(ref.versionId ? { Version: ref.versionId } : {}) } };
}

/** The client and the recorded sending of vault images, for each Rekognition adapter. */
export abstract class RekognitionVaultCalls {
  readonly processor = 'rekognition';
  protected readonly client: JsonCalls;

  constructor(private readonly callOptions: RekognitionVaultCallsOptions) {
    this.client = callOptions.client ?? defaultRekognitionCalls();
  }

  /** Sends `command`, then records one processor-log entry per image it carried (also when it failed). */
  protected async sendLogged<T extends { $metadata: { requestId?: string } }>(
    operation: string,
    purpose: ProcessorPurpose,
    images: readonly ImageRef[],
    send: () => Promise<T>,
  ): Promise<T> {
    const at = new Date().toISOString();
    let output: T;
    try {
      output = await send();
    } catch (error) {
      const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
      await this.log(operation, purpose, images, at, requestId, false);
      throw error;
    }
    await this.log(
      operation,
      purpose,
      images,
      at,
      (output.$metadata as { requestId?: string } | undefined)?.requestId,
      true,
    );
    return output;
  }

  private async log(
    operation: string,
    purpose: ProcessorPurpose,
    images: readonly ImageRef[],
    at: string,
    requestId: string | undefined,
    succeeded: boolean,
  ): Promise<void> {
    const processorLog = this.callOptions.processorLog;
    if (!processorLog) return;
    for (const ref of images) {
      await processorLog.record({
        processor: this.processor,
        operation,
        purpose,
        ...objectOwner(ref.key),
        objectKey: ref.key,
        ...(ref.versionId ? { objectVersion: ref.versionId } : {}),
        ...(requestId ? { requestId } : {}),
        succeeded,
        at,
      });
    }
  }
}
