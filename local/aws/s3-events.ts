/**
 * Converts s3rver's notification records into the events Amazon S3 sends to EventBridge
 * ("Object Created" / "Object Deleted", source `aws.s3`), the shape the on-upload handler
 * receives in AWS. Reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 *
 * s3rver's records differ from S3's: the bucket ARN is malformed (`arn:aws:s3: : :bucket`),
 * the key is the decoded key (S3 notifications URL-encode it) and Copy events carry no ETag.
 * EventBridge events carry the plain (decoded) key, which is what this module emits.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from './client-config.ts';

/** Why an object was created or deleted (the `reason` field of the event detail). */
export type S3ObjectEventReason =
  'PutObject' | 'PostObject' | 'CopyObject' | 'CompleteMultipartUpload' | 'DeleteObject';

/** The `detail` of an S3 "Object Created" / "Object Deleted" EventBridge event. */
export interface S3ObjectEventDetail {
  version: '0';
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string; 'version-id'?: string; sequencer: string };
  'request-id': string;
  requester: string;
  'source-ip-address': string;
  reason: S3ObjectEventReason;
  /** Only on "Object Deleted". */
  'deletion-type'?: 'Permanently Deleted' | 'Delete Marker Created';
}

/** An S3 object event as delivered by EventBridge. */
export interface S3ObjectEvent {
  version: '0';
  id: string;
  'detail-type': 'Object Created' | 'Object Deleted';
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: S3ObjectEventDetail;
}

/** What the local S3 knows about one object change. */
export interface ObjectChange {
  bucket: string;
  key: string;
  reason: S3ObjectEventReason;
  size?: number;
  etag?: string;
  sourceIp?: string;
}

let lastSequencer = 0n;

/** A strictly increasing hex sequencer, as S3 uses to order events for one key. */
function nextSequencer(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  lastSequencer = now > lastSequencer ? now : lastSequencer + 1n;
  return lastSequencer.toString(16).toUpperCase().padStart(18, '0');
}

/** Builds the EventBridge event for one object change. */
export function toEventBridgeEvent(change: ObjectChange, region: string, now: Date = new Date()): S3ObjectEvent {
  const deleted = change.reason === 'DeleteObject';
  const object: S3ObjectEventDetail['object'] = { key: change.key, sequencer: nextSequencer() };
  if (!deleted) {
    if (change.size !== undefined) object.size = change.size;
    if (change.etag !== undefined) object.etag = change.etag.replace(/"/g, '');
  }
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': deleted ? 'Object Deleted' : 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT_ID,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:s3:::${change.bucket}`],
    detail: {
      version: '0',
      bucket: { name: change.bucket },
      object,
      'request-id': randomBytes(8).toString('hex').toUpperCase(),
      requester: LOCAL_ACCOUNT_ID,
      'source-ip-address': change.sourceIp ?? '127.0.0.1',
      reason: change.reason,
      ...(deleted ? { 'deletion-type': 'Permanently Deleted' as const } : {}),
    },
  };
}
