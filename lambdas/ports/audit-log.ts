import type { AuditEvent, AuditEventInput } from '../domain/records.ts';

/**
 * Append-only, tamper-evident audit trail (PRODUCT §5): one hash chain per subject.
 * Implementations never update or delete; an append that fails must surface as an error
 * (the caller retries), never be dropped.
 */
export interface AuditLog {
  append(event: AuditEventInput): Promise<AuditEvent>;
  /** Events of one subject in sequence order. */
  list(subject: string): Promise<AuditEvent[]>;
}
