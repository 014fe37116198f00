/**
 * What the compliance case routes read and write besides the workflow's records: the case list
 * (from the verifications table's indexes, never a scan), everything stored under one
 * verification, and reviewers' notes (append-only).
 */
import type { CaseQueryPlan, CaseStartKey } from '../domain/case-query.ts';
import type { AttemptRecord, DocumentRecord, VerificationRecord } from '../domain/records.ts';
import type { CheckRecord, ReviewTask } from './workflow-store.ts';

/** A reviewer's note on a case (item `V#<id> | NOTE#<createdAt>#<noteId>`). */
export interface CaseNote {
  readonly verificationId: string;
  readonly noteId: string;
  /** Staff user id of the author. */
  readonly author: string;
  readonly authorRole: string;
  readonly text: string;
  readonly createdAt: string;
}

/** Everything stored under one verification that the case view shows. */
export interface CaseRecords {
  readonly verification: VerificationRecord;
  /** Oldest first, each with its documents and persisted check results. */
  readonly attempts: ReadonlyArray<{
    readonly attempt: AttemptRecord;
    readonly documents: readonly DocumentRecord[];
    readonly checks: readonly CheckRecord[];
  }>;
  /** Review tasks, oldest first. */
  readonly reviews: readonly ReviewTask[];
  /** Notes, oldest first. */
  readonly notes: readonly CaseNote[];
}

export interface CasePage {
  readonly tasks: readonly ReviewTask[];
  /** Where the next page starts; absent on the last page. */
  readonly nextKey?: CaseStartKey;
}

export interface CaseStore {
  /** At most `limit` review tasks of the plan's index partition, by due time, from `startKey`. */
  listCases(plan: CaseQueryPlan, limit: number, startKey?: CaseStartKey): Promise<CasePage>;
  /** The case's records, or `undefined` when the verification does not exist. */
  loadCase(verificationId: string): Promise<CaseRecords | undefined>;
  /** Stores a new note; never overwrites one. */
  appendNote(note: CaseNote): Promise<void>;
}
