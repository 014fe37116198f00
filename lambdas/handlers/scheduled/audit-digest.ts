/**
 * Scheduled (hourly by default, `audit.digestIntervalMinutes`): writes the next signed digest
 * of the audit archive. It lists the archive files written since the previous digest's
 * `coveredUntil` (up to a minute ago, so writes still in flight land in the next digest),
 * hashes each, takes each subject's newest archived event as its chain head, links to the
 * previous digest by key and SHA-256, signs with the KMS audit signing key and writes
 * `audit/digests/...json` into the same locked bucket. A digest is written even when no file
 * is new, so a gap in the digest chain is itself evidence (as with CloudTrail digests).
 *
 *   previous digest            this run
 *   coveredUntil = t1 ───────> files with t1 < time(key) <= now - settle ──> digest(now)
 */
import middy from '@middy/core';
import { requireEnv } from '../../adapters/aws/environment.ts';
import { KmsDigestSigner } from '../../adapters/aws/kms-digest-signer.ts';
import { S3AuditArchiveStore } from '../../adapters/aws/s3-audit-archive-store.ts';
import {
  ARCHIVE_DIGESTS_PREFIX,
  ARCHIVE_EVENTS_PREFIX,
  archiveKeyStartAfter,
  buildDigestBody,
  digestKey,
  digestMessage,
  serializeDigest,
  timeOfKey,
  type AuditDigest,
  type StoredObject,
} from '../../domain/audit-archive.ts';
import type { AuditArchiveStore, DigestSigner } from '../../ports/audit-archive.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { logger } from '../shared/logger.ts';

/** Files written in the last minute wait for the next digest (their writers may still be busy). */
export const DIGEST_SETTLE_MS = 60_000;

export interface AuditDigestDeps {
  readonly store: AuditArchiveStore;
  readonly signer: DigestSigner;
  readonly now: () => Date;
  /** Settling time before a file is digested (`DIGEST_SETTLE_MS`). */
  readonly settleMs?: number;
}

export interface AuditDigestResult {
  readonly key: string;
  readonly files: number;
  readonly heads: number;
}

function defaultDeps(): AuditDigestDeps {
  return {
    store: new S3AuditArchiveStore({ bucket: requireEnv('auditArchiveBucket') }),
    signer: new KmsDigestSigner({ keyId: requireEnv('auditSigningKeyArn') }),
    now: () => new Date(),
  };
}

async function read(store: AuditArchiveStore, key: string): Promise<StoredObject> {
  const body = await store.get(key);
  if (!body) throw new Error(`archive object ${key} vanished while digesting`);
  return { key, body };
}

/** The handler's logic with its dependencies given (tests, the local runtime, `kyc audit digest`). */
export function createAuditDigester(source: DepsSource<AuditDigestDeps> = defaultDeps) {
  const deps = resolveDeps(source);
  return async function writeAuditDigest(): Promise<AuditDigestResult> {
    const { store, signer } = deps();
    const now = deps().now();
    const coveredUntil = new Date(now.getTime() - (deps().settleMs ?? DIGEST_SETTLE_MS));
    const previousKey = (await store.list(ARCHIVE_DIGESTS_PREFIX)).at(-1);
    const previous = previousKey ? await read(store, previousKey) : undefined;
    const previousCoverage = previous
      ? new Date((JSON.parse(Buffer.from(previous.body).toString('utf8')) as AuditDigest).coveredUntil)
      : undefined;
    const keys = (
      await store.list(ARCHIVE_EVENTS_PREFIX, previousCoverage ? archiveKeyStartAfter(previousCoverage) : undefined)
    ).filter((key) => {
      const time = timeOfKey(key);
      return time !== undefined && time.getTime() <= coveredUntil.getTime();
    });
    const files = await Promise.all(keys.map((key) => read(store, key)));
    const body = buildDigestBody({ createdAt: now, coveredUntil, previous, files });
    const digest: AuditDigest = { ...body, signature: await signer.sign(digestMessage(body)) };
    const key = digestKey(now);
    await store.put(key, serializeDigest(digest), 'application/json');
    logger.info('audit digest written', { key, files: files.length, heads: body.heads.length });
    return { key, files: files.length, heads: body.heads.length };
  };
}

export const handler = middy(createAuditDigester());
