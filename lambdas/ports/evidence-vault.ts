/**
 * The evidence vault (Object Lock) as the workflow sees it: a server-side copy of an object the
 * pipeline produced elsewhere (e.g. a Face Liveness image in the short-lived intake bucket) into
 * the vault, encrypted with the documents key. In AWS: `S3EvidenceStore`.
 */
import type { ImageRef } from './face-service.ts';

export interface EvidenceVault {
  /** Copies `source` to `vaultKey` in the vault; returns the vault version id. */
  /** Server-side copy into the vault; `contentType` is the type read from the bytes (never the client's). */
  copyToVault(source: ImageRef, vaultKey: string, contentType: string): Promise<{ versionId?: string }>;
  /** Deletes the (short-lived) source once it is in the vault; a missing object is not an error. */
  deleteObject(source: ImageRef): Promise<void>;
}
