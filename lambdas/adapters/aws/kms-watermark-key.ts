/**
 * The watermark's MAC key, held in KMS: `mac(data)` is KMS GenerateMac (HMAC_SHA_256) with the
 * installation's HMAC key over a domain-separated message (`kyc-watermark-v1`, a zero byte,
 * then the data), so a watermark MAC can never equal a document-number hash made with the same
 * key. The key material never leaves KMS: without `kms:GenerateMac` on that key nobody can make
 * or check a mark. Results are cached per message for the life of the object (a detector asks
 * for the same MAC many times while it searches).
 *
 * @example
 * ```ts
 * const key = new KmsWatermarkKey({ keyId: process.env.HMAC_KEY_ARN! });
 * const tag = await key.mac(accessIdBytes); // 32 bytes
 * ```
 */
import { defaultKmsCalls, GenerateMacCommand } from './kms-commands.ts';
import type { JsonCalls } from './aws-json-client.ts';

/** Prefix that separates watermark MACs from every other use of the HMAC key. */
export const WATERMARK_MAC_DOMAIN = 'kyc-watermark-v1';

export interface KmsWatermarkKeyOptions {
  /** ARN (or alias) of the HMAC_256 key. */
  readonly keyId: string;
  /** KMS client (a default client for the function's region). */
  readonly client?: JsonCalls;
}

/** KMS returned no MAC. */
export class WatermarkKeyError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WatermarkKeyError';
  }
}

export class KmsWatermarkKey {
  private readonly client: JsonCalls;
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  public constructor(private readonly options: KmsWatermarkKeyOptions) {
    this.client = options.client ?? defaultKmsCalls();
  }

  public mac(data: Uint8Array): Promise<Uint8Array> {
    const cacheKey = Buffer.from(data).toString('hex');
    let pending = this.cache.get(cacheKey);
    if (!pending) {
      pending = this.generate(data);
      this.cache.set(cacheKey, pending);
      pending.catch(() => this.cache.delete(cacheKey));
    }
    return pending;
  }

  private async generate(data: Uint8Array): Promise<Uint8Array> {
    const message = Buffer.concat([Buffer.from(WATERMARK_MAC_DOMAIN, 'utf8'), Buffer.from([0]), Buffer.from(data)]);
    const output = await this.client.send(
      new GenerateMacCommand({ KeyId: this.options.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
    );
    if (!output.Mac) throw new WatermarkKeyError('GenerateMac returned no Mac');
    return Uint8Array.from(output.Mac);
  }
}
