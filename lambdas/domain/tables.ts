/**
 * DynamoDB key design, shared by the CDK table constructs, the AWS adapters and the local
 * runtime (which creates its tables from the synthesized template).
 *
 * verifications (pk, sk)
 *   V#<verificationId> | META                      the verification
 *   V#<verificationId> | A#<attemptId>              an attempt
 *   V#<verificationId> | A#<attemptId>#D#<slot>     a document of an attempt
 *   V#<verificationId> | R#<attemptId>              a manual-review task
 *   V#<verificationId> | REJ#<sha256>               an image that failed before
 *   V#<verificationId> | RESET#<requestId>          a support reset request (four eyes)
 *   V#<verificationId> | NOTE#<createdAt>#<noteId>   a reviewer's note on the case (append-only)
 *   USER#<userId>      | LEVEL#<level>             the user's one verification of a level
 *   UNIQ#DOC#<hmac>    | UNIQ                      document-number uniqueness record
 *   ACCESS#<accessId>  | ACCESS                    an audited access to evidence (watermark -> who, why)
 *   EXPORT#<exportId>  | EXPORT                    a two-person export request
 *   ACCOUNT#<userId>   | ACCOUNT                   account closure (relationship end)
 *   ERASURE#<userId>   | ERASURE                   a deferred erasure request (what is kept, until when)
 *   GSI byStatus   (gsi1pk = STATUS#<status>,  gsi1sk = <updatedAt>#<verificationId>)
 *   GSI byReviewer (gsi2pk = REVIEWER#<assignee or UNASSIGNED>, gsi2sk = <dueAt>#<verificationId>)
 *                  review tasks too: (gsi1pk = CASE#<open|approved|rejected>, gsi1sk = <dueAt>#<verificationId>)
 *   GSI byUser     (gsi3pk = USER#<userId>,     gsi3sk = <createdAt>#<verificationId>)
 *   GSI byQueue    (gsi4pk = QUEUE#<queue>,     gsi4sk = <dueAt>#<verificationId>) open review tasks
 *   The deletion job's work lists share byStatus (sparse entries, `RETENTION_INDEX`):
 *     gsi1pk = RETENTION#EVIDENCE        gsi1sk = <recordedAt>#<verificationId>#<attemptId>#<slot>  (vaulted document)
 *     gsi1pk = RETENTION#CLOSED_ACCOUNT  gsi1sk = <relationshipEndedAt>#<userId>                    (ACCOUNT item)
 *     gsi1pk = RETENTION#ERASURE         gsi1sk = <nextCheckAt>#<userId>                            (ERASURE item)
 * rateLimits (pk) with TTL attribute `expiresAt` (epoch seconds; reads ignore expired items)
 * auditEvents (pk = subject, sk = sequence number) append-only hash chain per subject
 * idempotency (id) Powertools idempotency layout, TTL attribute `expiration`
 */
export const TABLE_KEYS = {
  verifications: {
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: {
      byStatus: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      byReviewer: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
      byUser: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
      byQueue: { partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
    },
  },
  rateLimits: { partitionKey: 'pk', ttlAttribute: 'expiresAt' },
  auditEvents: { partitionKey: 'subject', sortKey: 'sequence' },
  idempotency: { partitionKey: 'id', ttlAttribute: 'expiration' },
} as const;

/** Key of an access record (document view or export) in the verifications table. */
export function accessItemKey(accessId: string): { pk: string; sk: string } {
  return { pk: `ACCESS#${accessId}`, sk: 'ACCESS' };
}

/** Key of an export request in the verifications table. */
export function exportItemKey(exportId: string): { pk: string; sk: string } {
  return { pk: `EXPORT#${exportId}`, sk: 'EXPORT' };
}

/**
 * Partition keys of the deletion job's work lists in the byStatus index (`gsi1pk`); their sort
 * keys start with an ISO date, so "due before" is one Query with `gsi1sk < :date`.
 */
export const RETENTION_INDEX = {
  indexName: 'byStatus',
  /** Vault documents by recording date (their default Object Lock ends `evidenceYears` later). */
  evidence: 'RETENTION#EVIDENCE',
  /** Closed accounts by relationship end. */
  closedAccounts: 'RETENTION#CLOSED_ACCOUNT',
  /** Deferred erasure requests by the date to look at them again. */
  erasures: 'RETENTION#ERASURE',
} as const;

/** Key of a user's account closure record. */
export function accountItemKey(userId: string): { pk: string; sk: string } {
  return { pk: `ACCOUNT#${userId}`, sk: 'ACCOUNT' };
}

/** Key of a user's deferred erasure request. */
export function erasureItemKey(userId: string): { pk: string; sk: string } {
  return { pk: `ERASURE#${userId}`, sk: 'ERASURE' };
}
