/**
 * DynamoDB Streams target of the audit table: writes each batch of new audit events as one
 * gzip JSON-lines file to the audit archive bucket (Object Lock COMPLIANCE), keyed by time
 * (`domain/audit-archive.ts`). A batch that cannot be written makes the invocation fail, so
 * the stream retries it (bisecting on error) and, after the retries, the event source mapping
 * sends the batch's shard position to its failure queue: the events themselves stay in the
 * table, and a redelivered batch only writes a second copy, which verification accepts.
 *
 * Only INSERTs are archived. Audit events are never updated or deleted (no role has the
 * grant); a MODIFY or REMOVE record means tampering, so it is kept as a tamper record under
 * `audit/tamper/` (its ids and both images, `buildTamperRecord`), which `kyc audit verify`
 * reports as a broken link even when the event was put back as it was, and logged as an error
 * (ids only). A tamper record that cannot be written fails the batch like an archive file.
 */
import middy from '@middy/core';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { requireEnv } from '../../adapters/aws/environment.ts';
import { S3AuditArchiveStore } from '../../adapters/aws/s3-audit-archive-store.ts';
import { buildArchiveFile, buildTamperRecord, type TamperRecord } from '../../domain/audit-archive.ts';
import type { AuditEvent } from '../../domain/records.ts';
import type { AuditArchiveStore } from '../../ports/audit-archive.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import { logger } from '../shared/logger.ts';

export interface AuditArchiverDeps {
  readonly store: AuditArchiveStore;
  readonly now: () => Date;
}

export interface AuditArchiverResult {
  readonly key?: string;
  readonly archived: number;
  /** MODIFY/REMOVE records seen (tampering attempts; never expected). */
  readonly anomalies: number;
}

function defaultDeps(): AuditArchiverDeps {
  return { store: new S3AuditArchiveStore({ bucket: requireEnv('auditArchiveBucket') }), now: () => new Date() };
}

/** The handler's logic with its dependencies given (tests, the local runtime). */
export function createAuditArchiver(source: DepsSource<AuditArchiverDeps> = defaultDeps) {
  const deps = resolveDeps(source);
  return async function archiveAuditBatch(event: DynamoDBStreamEvent): Promise<AuditArchiverResult> {
    const events: AuditEvent[] = [];
    const tampering: TamperRecord[] = [];
    let anomalies = 0;
    for (const record of event.Records ?? []) {
      const image = record.dynamodb?.NewImage ?? record.dynamodb?.OldImage;
      const keys = record.dynamodb?.Keys ? unmarshall(record.dynamodb.Keys as Record<string, AttributeValue>) : {};
      if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) {
        anomalies += 1;
        logger.error('audit event changed after it was written', {
          eventName: record.eventName,
          subject: keys.subject as string | undefined,
          sequence: keys.sequence as number | undefined,
          hasImage: image !== undefined,
        });
        const created = record.dynamodb?.ApproximateCreationDateTime;
        tampering.push({
          eventName: record.eventName ?? 'UNKNOWN',
          ...(typeof keys.subject === 'string' ? { subject: keys.subject } : {}),
          ...(typeof keys.sequence === 'number' ? { sequence: keys.sequence } : {}),
          ...(typeof created === 'number' ? { changedAt: new Date(created * 1000).toISOString() } : {}),
          ...(record.dynamodb?.OldImage
            ? { oldImage: unmarshall(record.dynamodb.OldImage as Record<string, AttributeValue>) }
            : {}),
          ...(record.dynamodb?.NewImage
            ? { newImage: unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) }
            : {}),
        });
        continue;
      }
      events.push(unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>) as AuditEvent);
    }
    for (const tamper of tampering) {
      const object = buildTamperRecord(tamper, deps().now());
      await deps().store.put(object.key, object.body, 'application/json');
    }
    if (events.length === 0) return { archived: 0, anomalies };
    const file = buildArchiveFile(events, deps().now());
    await deps().store.put(file.key, file.body, 'application/gzip');
    logger.info('audit batch archived', { key: file.key, events: events.length, anomalies });
    return { key: file.key, archived: events.length, anomalies };
  };
}

export const handler = middy(createAuditArchiver());
