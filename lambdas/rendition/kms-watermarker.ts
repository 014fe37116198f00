/**
 * The `Watermarker` port over the invisible watermark (`lambdas/watermark`) keyed with
 * KMS-held material (`KmsWatermarkKey`: GenerateMac with the installation's HMAC key), so
 * neither embedding nor tracing works without `kms:GenerateMac` on that key.
 *
 * @example
 * ```ts
 * const watermarker = watermarkerFromEnv(process.env);
 * const { image } = await watermarker.embed(png, '9f86d081884c7d65');
 * await watermarker.detect(image); // { accessId: '9f86d081884c7d65', syncScore: ... }
 * ```
 */
import { KmsWatermarkKey } from '../adapters/aws/kms-watermark-key.ts';
import { requireEnv } from '../adapters/aws/environment.ts';
import { accessIdBytes, accessIdFromBytes } from '../domain/evidence-access.ts';
import type { Watermarker } from '../ports/evidence-access.ts';
import { detectWatermark, embedWatermark, type WatermarkKey } from '../watermark/index.ts';

export class KeyedWatermarker implements Watermarker {
  public constructor(private readonly key: WatermarkKey) {}

  public async embed(image: Buffer, accessId: string, format: 'jpeg' | 'png' = 'jpeg') {
    return embedWatermark(image, accessIdBytes(accessId), this.key, { format });
  }

  public async detect(image: Buffer) {
    const found = await detectWatermark(image, this.key);
    return found ? { accessId: accessIdFromBytes(found.accessId), syncScore: found.syncScore } : undefined;
  }
}

/** The watermarker of a function: KMS HMAC key from `HMAC_KEY_ARN`. */
export function watermarkerFromEnv(env: NodeJS.ProcessEnv = process.env): Watermarker {
  return new KeyedWatermarker(new KmsWatermarkKey({ keyId: requireEnv('hmacKeyArn', env) }));
}
