/**
 * `EvidenceLocks` over the vault bucket: `PutObjectRetention` in COMPLIANCE mode and
 * `PutObjectLegalHold`, per object version. `extendRetention` re-reads the current retention
 * and refuses to shorten it (S3 would refuse too; this keeps the mistake out of the logs).
 *
 * @example
 * ```ts
 * const locks = new S3EvidenceLocks({ bucket: requireEnv('vaultBucket') });
 * await locks.extendRetention({ key, versionId }, new Date('2031-01-10T00:00:00Z'));
 * ```
 */
import { S3RestClient, type S3Operations } from './s3-rest-client.ts';
import type { EvidenceLocks, ObjectRef } from '../../ports/evidence-locks.ts';

/** A retention change that would shorten COMPLIANCE retention (never sent). */
export class RetentionShorteningError extends Error {
  public constructor(
    public readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`Refusing to shorten the COMPLIANCE retention of ${key}`, options);
    this.name = 'RetentionShorteningError';
  }
}

const isMissingConfiguration = (error: unknown): boolean =>
  ['NoSuchObjectLockConfiguration', 'ObjectLockConfigurationNotFoundError'].includes((error as Error).name);

export class S3EvidenceLocks implements EvidenceLocks {
  private readonly client: S3Operations;

  public constructor(private readonly options: { readonly bucket: string; readonly client?: S3Operations }) {
    this.client = options.client ?? new S3RestClient();
  }

  private ref(object: ObjectRef) {
    return {
      Bucket: this.options.bucket,
      Key: object.key,
      ...(object.versionId ? { VersionId: object.versionId } : {}),
    };
  }

  public async getRetention(object: ObjectRef): Promise<Date | undefined> {
    try {
      const output = await this.client.getObjectRetention(this.ref(object));
      return output.Retention?.RetainUntilDate;
    } catch (error) {
      if (isMissingConfiguration(error)) return undefined;
      throw error;
    }
  }

  public async extendRetention(object: ObjectRef, until: Date): Promise<void> {
    const current = await this.getRetention(object);
    if (current && current.getTime() > until.getTime()) throw new RetentionShorteningError(object.key);
    if (current && current.getTime() === until.getTime()) return;
    await this.client.putObjectRetention({
      ...this.ref(object),
      Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until },
    });
  }

  public async getLegalHold(object: ObjectRef): Promise<boolean> {
    try {
      const output = await this.client.getObjectLegalHold(this.ref(object));
      return output.LegalHold?.Status === 'ON';
    } catch (error) {
      if (isMissingConfiguration(error)) return false;
      throw error;
    }
  }

  public async setLegalHold(object: ObjectRef, on: boolean): Promise<void> {
    await this.client.putObjectLegalHold({ ...this.ref(object), LegalHold: { Status: on ? 'ON' : 'OFF' } });
  }
}
