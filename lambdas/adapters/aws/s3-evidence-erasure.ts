/**
 * Deleting evidence for good: every version of a vault object whose retention ended
 * (`DeleteObject` with a `VersionId`, i.e. s3:DeleteObjectVersion; a plain DELETE on a
 * versioned bucket would only add a delete marker and keep the bytes), and the intake
 * leftovers of erased attempts (uploads and liveness session images not yet processed).
 * S3 itself refuses to delete a version under COMPLIANCE retention or a legal hold, so a
 * planning mistake can never destroy locked evidence.
 *
 * @example
 * ```ts
 * const vault = new S3VaultDeletion({ bucket: requireEnv('vaultBucket') });
 * await vault.deleteVersions({ key: 'evidence/v1/a1/selfie', versionId: '3HL4kqtJ' }); // 1
 * ```
 */
import { S3RestClient, type S3Operations } from './s3-rest-client.ts';
import type { ObjectRef } from '../../ports/evidence-locks.ts';

/** Permanently deletes vault object versions. */
export class S3VaultDeletion {
  private readonly client: S3Operations;

  public constructor(private readonly options: { readonly bucket: string; readonly client?: S3Operations }) {
    this.client = options.client ?? new S3RestClient();
  }

  /**
   * Deletes the object's recorded version, or every version of its key when none is recorded
   * (liveness images); resolves to the number of versions deleted.
   */
  public async deleteVersions(object: ObjectRef): Promise<number> {
    if (object.versionId) {
      await this.deleteVersion(object.key, object.versionId);
      return 1;
    }
    let versions: string[];
    try {
      versions = await this.listVersions(object.key);
    } catch (error) {
      // The local S3 (s3rver) keeps no versions and refuses the listing: one DELETE removes the object there.
      if (!['NotImplemented', 'MethodNotAllowed'].includes((error as Error).name)) throw error;
      await this.client.deleteObject({ Bucket: this.options.bucket, Key: object.key });
      return 1;
    }
    for (const versionId of versions) await this.deleteVersion(object.key, versionId);
    return versions.length;
  }

  private async deleteVersion(key: string, versionId: string): Promise<void> {
    await this.client.deleteObject({ Bucket: this.options.bucket, Key: key, VersionId: versionId });
  }

  private async listVersions(key: string): Promise<string[]> {
    const versions: string[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.client.listObjectVersions({
        Bucket: this.options.bucket,
        Prefix: key,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
      });
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (entry.Key === key && entry.VersionId) versions.push(entry.VersionId);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    return versions;
  }
}

/** Deletes what an erased attempt left in the intake bucket (`intake/` uploads, `liveness/` session images). */
export class S3IntakeLeftovers {
  private readonly client: S3Operations;

  public constructor(private readonly options: { readonly bucket: string; readonly client?: S3Operations }) {
    this.client = options.client ?? new S3RestClient();
  }

  /** Deletes every object under `prefix` (`intake/<v>/<a>/` or `liveness/<v>/<a>/`); resolves to how many. */
  public async deleteUnder(prefix: string): Promise<number> {
    if (!/^(intake|liveness)\/[\w-]+\/[\w-]+\/$/.test(prefix)) throw new RangeError(`not an attempt prefix: ${prefix}`);
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.listObjectsV2({
        Bucket: this.options.bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      });
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        await this.client.deleteObject({ Bucket: this.options.bucket, Key: object.Key });
        deleted += 1;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}
