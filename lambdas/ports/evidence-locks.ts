/**
 * Object Lock state of evidence objects (S3 COMPLIANCE retention and legal hold). Implementations
 * never shorten a retention: callers plan with `domain/evidence-retention.ts` and only extend.
 */
export interface ObjectRef {
  readonly key: string;
  readonly versionId?: string;
}

export interface EvidenceLocks {
  /** The object's COMPLIANCE retain-until date, or undefined when it has none. */
  getRetention(object: ObjectRef): Promise<Date | undefined>;
  /** Sets COMPLIANCE retention to `until` (later than the current one). */
  extendRetention(object: ObjectRef, until: Date): Promise<void>;
  getLegalHold(object: ObjectRef): Promise<boolean>;
  setLegalHold(object: ObjectRef, on: boolean): Promise<void>;
}
