/**
 * The processor log kept in the audit trail: each call is an audit event `processor.invoked`
 * on the case's chain (`verification:<id>`), so it is append-only and tamper-evident like every
 * other access, and shows in the case's audit trail. `ProcessorLogReader.list` reads it back
 * for the case view and exports.
 *
 * @example
 * ```ts
 * const log = new AuditProcessorLog({ audit, actor: 'system:face-match' });
 * await log.record({ processor: 'rekognition', operation: 'CompareFaces', purpose: 'face_match', ... });
 * const entries = await new ProcessorLogReader(audit).list(verificationId);
 * ```
 */
import type { AuditEvent } from '../../domain/records.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import type { ProcessorCall, ProcessorLog, ProcessorLogEntry, ProcessorPurpose } from '../../ports/processor-log.ts';

/** Audit action of a processor-log entry. */
export const PROCESSOR_INVOKED = 'processor.invoked';

export interface AuditProcessorLogOptions {
  readonly audit: Pick<AuditLog, 'append'>;
  /** Who makes the calls, e.g. `system:<function name>`. */
  readonly actor: string;
}

export class AuditProcessorLog implements ProcessorLog {
  public constructor(private readonly options: AuditProcessorLogOptions) {}

  public async record(call: ProcessorCall): Promise<void> {
    await this.options.audit.append({
      subject: `verification:${call.verificationId}`,
      action: PROCESSOR_INVOKED,
      actor: this.options.actor,
      reason: call.purpose,
      details: {
        processor: call.processor,
        operation: call.operation,
        purpose: call.purpose,
        objectKey: call.objectKey,
        ...(call.objectVersion ? { objectVersion: call.objectVersion } : {}),
        ...(call.attemptId ? { attemptId: call.attemptId } : {}),
        ...(call.requestId ? { requestId: call.requestId } : {}),
        succeeded: call.succeeded,
        calledAt: call.at,
      },
    });
  }
}

/** Reads a case's processor log back out of its audit chain. */
export class ProcessorLogReader {
  public constructor(private readonly audit: Pick<AuditLog, 'list'>) {}

  /** Every processor call of a verification, in order. */
  public async list(verificationId: string): Promise<ProcessorLogEntry[]> {
    const events = await this.audit.list(`verification:${verificationId}`);
    return events
      .filter((event) => event.action === PROCESSOR_INVOKED)
      .map((event) => entryFrom(event, verificationId));
  }
}

/** The processor-log entry an audit event holds. */
export function entryFrom(event: AuditEvent, verificationId: string): ProcessorLogEntry {
  const details = event.details ?? {};
  const text = (key: string): string | undefined =>
    typeof details[key] === 'string' ? (details[key] as string) : undefined;
  return {
    processor: text('processor') ?? 'unknown',
    operation: text('operation') ?? 'unknown',
    purpose: (text('purpose') ?? 'quality_gate') as ProcessorPurpose,
    verificationId,
    ...(text('attemptId') ? { attemptId: text('attemptId') } : {}),
    objectKey: text('objectKey') ?? '',
    ...(text('objectVersion') ? { objectVersion: text('objectVersion') } : {}),
    ...(text('requestId') ? { requestId: text('requestId') } : {}),
    succeeded: details.succeeded !== false,
    at: text('calledAt') ?? event.at,
    actor: event.actor,
    sequence: event.sequence,
  };
}
