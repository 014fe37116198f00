/**
 * Audited access to identity evidence (PRODUCT §5): who may look at a document, the access
 * record a watermark points back to, and the two-person export's life cycle. Pure code: no AWS.
 *
 *   view:   audit event -> access record -> rendition (visible + invisible mark) -> 60 s URL
 *   export: pending_approval --approve (another compliance_approver)--> approved --package--> ready
 *                    |  \--reject--> rejected                                          |
 *                    \--(approvalHours pass)--> expired             one-time link -> downloaded
 */
import { randomBytes } from 'node:crypto';
import type { Role, Slot } from './verification.ts';

/** Bytes of an access id; the invisible watermark carries exactly this many (64 bits). */
export const ACCESS_ID_LENGTH = 8;

/** Roles that may look at an identity document (PRODUCT §7: compliance_reviewer, compliance_approver). */
export const DOCUMENT_VIEWER_ROLES: readonly Role[] = ['compliance_reviewer', 'compliance_approver'];

/** Roles that may request an export (the compliance roles). */
export const EXPORT_REQUESTER_ROLES: readonly Role[] = ['compliance_reviewer', 'compliance_approver'];

/** The only role that may approve or reject someone else's export. */
export const EXPORT_APPROVER_ROLE: Role = 'compliance_approver';

/** What produced an access: one document view, one export package, a person's copy of their own data, or one redacted support thumbnail. */
export type AccessKind = 'document_view' | 'export' | 'subject_access' | 'support_thumbnail';

/**
 * One access to evidence; an invisible watermark carries its `accessId`, so a leaked image
 * traces back to this record: who, which documents of which case, when and why.
 */
export interface AccessRecord {
  /** 16 lower-case hex characters (`ACCESS_ID_LENGTH` bytes). */
  readonly accessId: string;
  readonly kind: AccessKind;
  /** The viewer (document view) or the requester (export). */
  readonly actor: string;
  readonly actorRole: Role;
  readonly reason: string;
  readonly at: string;
  /** The case(s) whose documents carry the mark. */
  readonly verificationIds: readonly string[];
  /** The viewed slot (document view). */
  readonly slot?: Slot;
  /** The vault object that was rendered (document view). */
  readonly vaultKey?: string;
  readonly vaultVersionId?: string;
  /** The export this access belongs to (export). */
  readonly exportId?: string;
  /** The second person who approved the export (export). */
  readonly approvedBy?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  /** Audit subject and sequence of the event written before the access. */
  readonly auditSubject: string;
  readonly auditSequence: number;
}

export type ExportStatus = 'pending_approval' | 'approved' | 'ready' | 'rejected' | 'expired';

export interface ExportRecord {
  readonly exportId: string;
  readonly verificationIds: readonly string[];
  readonly reason: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  /** When an unapproved request stops being approvable. */
  readonly expiresAt: string;
  readonly status: ExportStatus;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly decisionNote?: string;
  /** Access id the package's documents are watermarked with (set on approval). */
  readonly accessId?: string;
  /** Object key of the package in the renditions bucket (status `ready`). */
  readonly packageKey?: string;
  readonly packageSha256?: string;
  readonly packageBytes?: number;
  /** SHA-256 (hex) of the one-time download token; the token itself is never stored. */
  readonly downloadTokenHash?: string;
  readonly downloadIssuedAt?: string;
  readonly downloadExpiresAt?: string;
  readonly downloadedAt?: string;
  /** Optimistic-concurrency counter, incremented on every write. */
  readonly version: number;
}

/** A fresh random access id (64 bits, hex). */
export function newAccessId(): string {
  return randomBytes(ACCESS_ID_LENGTH).toString('hex');
}

/** The access id as the bytes a watermark carries. */
export function accessIdBytes(accessId: string): Uint8Array {
  if (!isAccessId(accessId)) throw new RangeError('access id must be 16 hex characters');
  return Uint8Array.from(Buffer.from(accessId, 'hex'));
}

/** The access id carried by watermark bytes. */
export function accessIdFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== ACCESS_ID_LENGTH) throw new RangeError(`an access id has ${ACCESS_ID_LENGTH} bytes`);
  return Buffer.from(bytes).toString('hex');
}

export function isAccessId(value: string): boolean {
  return /^[0-9a-f]{16}$/.test(value);
}

/** May any of `roles` look at documents? */
export function mayViewDocuments(roles: readonly Role[]): boolean {
  return roles.some((role) => DOCUMENT_VIEWER_ROLES.includes(role));
}

/** Why a caller may not decide an export, or `undefined` when they may. */
export type ExportDecisionRefusal = 'not_approver' | 'own_request';

/**
 * Two-person rule: only a `compliance_approver` who did not request the export may decide it,
 * whatever other roles the requester holds.
 *
 * @example
 * ```ts
 * exportDecisionRefusal({ userId: 'bob', roles: ['compliance_approver'] }, { requestedBy: 'bob' }); // 'own_request'
 * ```
 */
export function exportDecisionRefusal(
  caller: { readonly userId: string; readonly roles: readonly Role[] },
  request: Pick<ExportRecord, 'requestedBy'>,
): ExportDecisionRefusal | undefined {
  if (!caller.roles.includes(EXPORT_APPROVER_ROLE)) return 'not_approver';
  if (caller.userId === request.requestedBy) return 'own_request';
  return undefined;
}

/** The status as of `now`: a pending request past its expiry is `expired` even before anyone records it. */
export function exportStatusAt(record: Pick<ExportRecord, 'status' | 'expiresAt'>, now: Date): ExportStatus {
  if (record.status === 'pending_approval' && Date.parse(record.expiresAt) <= now.getTime()) return 'expired';
  return record.status;
}

/** When a request made at `requestedAt` expires unless approved. */
export function exportExpiry(requestedAt: Date, approvalHours: number): string {
  return new Date(requestedAt.getTime() + approvalHours * 3_600_000).toISOString();
}

/** Why a one-time download link cannot be used, or `undefined` when it can. */
export type DownloadRefusal = 'not_ready' | 'already_downloaded' | 'link_expired' | 'bad_token';

/**
 * Checks a presented one-time download token (its SHA-256) against the export.
 *
 * @example
 * ```ts
 * downloadRefusal(record, sha256Hex(token), new Date()); // undefined: the download may proceed
 * ```
 */
export function downloadRefusal(
  record: Pick<ExportRecord, 'status' | 'downloadTokenHash' | 'downloadExpiresAt' | 'downloadedAt'>,
  presentedTokenHash: string,
  now: Date,
): DownloadRefusal | undefined {
  if (record.status !== 'ready' || !record.downloadTokenHash || !record.downloadExpiresAt) return 'not_ready';
  if (record.downloadTokenHash !== presentedTokenHash) return 'bad_token';
  if (record.downloadedAt) return 'already_downloaded';
  if (Date.parse(record.downloadExpiresAt) <= now.getTime()) return 'link_expired';
  return undefined;
}

/** Object key of a document view's rendition in the renditions bucket. */
export function renditionKey(verificationId: string, accessId: string): string {
  return `views/${verificationId}/${accessId}.jpg`;
}

/** Object key of a support view's redacted thumbnail in the renditions bucket. */
export function supportThumbnailKey(verificationId: string, accessId: string): string {
  return `support/${verificationId}/${accessId}.jpg`;
}

/** Object key of an export package in the renditions bucket. */
export function exportPackageKey(exportId: string): string {
  return `exports/${exportId}/package.zip`;
}

/** Object key of a person's own-data package (`GET /v1/me/data`) in the renditions bucket. */
export function subjectAccessKey(accessId: string): string {
  return `subject-access/${accessId}.zip`;
}
