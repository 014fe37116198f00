/**
 * `DocumentText` over Amazon Rekognition DetectText, reading the document image straight from
 * the vault (`S3Object` with version); each image handed over is recorded in the processor log.
 *
 * @example
 * ```ts
 * const text = new RekognitionDocumentText({ processorLog });
 * const lines = await text.detectText(front, { left: 0, top: 0.5, width: 1, height: 0.5 });
 * ```
 */
import { DetectTextCommand } from './rekognition-commands.ts';
import type { DocumentText, ImageRef, ImageRegion } from '../../ports/face-service.ts';
import { RekognitionVaultCalls, vaultImage as image } from './rekognition-vault-calls.ts';

export class RekognitionDocumentText extends RekognitionVaultCalls implements DocumentText {
  async detectText(ref: ImageRef, region?: ImageRegion): Promise<string[]> {
    const filters = region
      ? {
          Filters: {
            RegionsOfInterest: [
              { BoundingBox: { Left: region.left, Top: region.top, Width: region.width, Height: region.height } },
            ],
          },
        }
      : {};
    const output = await this.sendLogged('DetectText', 'document_data', [ref], () =>
      this.client.send(new DetectTextCommand({ Image: image(ref), ...filters })),
    );
    return (output.TextDetections ?? [])
      .filter((d) => d.Type === 'LINE' && d.DetectedText)
      .sort((a, b) => (a.Geometry?.BoundingBox?.Top ?? 0) - (b.Geometry?.BoundingBox?.Top ?? 0))
      .map((d) => d.DetectedText as string);
  }
}
