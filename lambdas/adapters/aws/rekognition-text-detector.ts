/**
 * The `TextDetector` port over Rekognition DetectText with the image as bytes: LINE detections
 * with their bounding boxes (clipped to the image), top to bottom. Every call is recorded in the
 * processor log when one is given (PRODUCT §5: which processor handled which image).
 *
 * @example
 * ```ts
 * const detector = new RekognitionTextDetector(defaultRekognitionCalls());
 * const lines = await detector.detectLines(jpeg); // [{ text: 'PASSPORT', box: { left, top, width, height } }, ...]
 * ```
 */
import { defaultRekognitionCalls, DetectTextCommand } from './rekognition-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';
import type { FoundTextLine } from '../../domain/redaction.ts';
import type { ProcessorLog } from '../../ports/processor-log.ts';
import type { TextDetector } from '../../ports/text-detector.ts';
import type { ProcessedObject } from './rekognition-face-detector.ts';

export interface RekognitionTextDetectorOptions {
  /** Where every DetectText call is recorded; none: not recorded. */
  readonly processorLog?: ProcessorLog;
  /** The object whose bytes are being read when a call is made. */
  readonly currentObject?: () => ProcessedObject | undefined;
}

const clamp01 = (value: number | undefined): number => Math.min(1, Math.max(0, value ?? 0));

export class RekognitionTextDetector implements TextDetector {
  readonly processorName = 'rekognition:DetectText';
  private readonly client: JsonCalls;

  /** @param client Rekognition client (default: a client for the Lambda's region) */
  constructor(
    client?: JsonCalls,
    private readonly options: RekognitionTextDetectorOptions = {},
  ) {
    this.client = client ?? defaultRekognitionCalls();
  }

  async detectLines(image: Uint8Array): Promise<FoundTextLine[]> {
    const at = new Date().toISOString();
    let output;
    try {
      output = await this.client.send(new DetectTextCommand({ Image: { Bytes: image } }));
    } catch (error) {
      await this.record(at, (error as { $metadata?: { requestId?: string } }).$metadata?.requestId, false);
      throw error;
    }
    await this.record(at, output.$metadata?.requestId, true);
    return (output.TextDetections ?? [])
      .filter((detection) => detection.Type === 'LINE' && detection.DetectedText)
      .map((detection) => {
        const box = detection.Geometry?.BoundingBox ?? {};
        const left = clamp01(box.Left);
        const top = clamp01(box.Top);
        return {
          text: detection.DetectedText as string,
          box: {
            left,
            top,
            width: clamp01((box.Left ?? 0) + (box.Width ?? 0)) - left,
            height: clamp01((box.Top ?? 0) + (box.Height ?? 0)) - top,
          },
        };
      })
      .sort((a, b) => a.box.top - b.box.top);
  }

  private async record(at: string, requestId: string | undefined, succeeded: boolean): Promise<void> {
    const object = this.options.currentObject?.();
    if (!this.options.processorLog || !object) return;
    await this.options.processorLog.record({
      processor: 'rekognition',
      operation: 'DetectText',
      purpose: 'support_redaction',
      verificationId: object.verificationId,
      attemptId: object.attemptId,
      objectKey: object.key,
      ...(object.versionId ? { objectVersion: object.versionId } : {}),
      ...(requestId ? { requestId } : {}),
      succeeded,
      at,
    });
  }
}
