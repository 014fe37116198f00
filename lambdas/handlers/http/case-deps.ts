/**
 * Dependencies of the compliance case routes (`/v1/cases...`) and the helpers they share:
 * loading a case for a staff member (404, four eyes) and naming the acting role in audit events.
 */
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbCaseStore } from '../../adapters/aws/case-repository.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import type { PersonalData, SealedData, VerificationRecord } from '../../domain/records.ts';
import type { Role } from '../../domain/verification.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import type { CaseStore } from '../../ports/case-store.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { WorkflowStore } from '../../ports/workflow-store.ts';
import { lazy } from '../shared/lazy.ts';
import { NotFoundError } from './middleware/http-errors.ts';
import type { Caller } from './middleware/types.ts';
import { refuseOwnCase } from './own-verification.ts';
import { DynamoDbRouteQuotas } from '../../adapters/aws/route-quota-store.ts';
import type { RouteQuotas } from '../../ports/route-quota.ts';

/** The review-task writes of the case routes (claim, assign): the workflow store's own write path. */
export type CaseReviews = Pick<WorkflowStore, 'getVerification' | 'findOpenReviewTask' | 'getReviewTask'> &
  Pick<DynamoDbWorkflowStore, 'assignReviewTask'>;

export interface CaseRouteDeps {
  readonly cases: CaseStore;
  readonly reviews: CaseReviews;
  readonly personalData: { open(sealed: SealedData, context: { verificationId: string }): Promise<PersonalData> };
  readonly audit: Pick<AuditLog, 'append' | 'list'>;
  readonly config: KycConfig;
  readonly clock: Clock;
  /** Per-user quota of the case view (`config.routeQuotas.caseRead`); absent: not counted. */
  readonly routeQuotas?: RouteQuotas;
}

/**
 * Builders of the AWS implementations from the function's environment, one per port: each
 * route builds only the ports it uses, so its bundle carries only those clients, and nothing
 * is called until a route uses it, so a route holds grants only for what it calls.
 *
 * @example
 * ```ts
 * export const handler = createClaimCaseHandler(() => ({ reviews: caseReviews(), audit: caseAuditLog() }));
 * ```
 */
export function caseRouteSettings(env: NodeJS.ProcessEnv = process.env): Pick<CaseRouteDeps, 'config' | 'clock'> {
  return { config: configFromEnv(env), clock: systemClock };
}

export function caseStore(env: NodeJS.ProcessEnv = process.env): CaseStore {
  return new DynamoDbCaseStore({ tableName: requireEnv('verificationsTable', env) });
}

/** The review-task reads and writes of the workflow store (its own write path). */
export function caseReviews(env: NodeJS.ProcessEnv = process.env): CaseReviews {
  return new DynamoDbWorkflowStore({ tableName: requireEnv('verificationsTable', env) });
}

export function caseAuditLog(env: NodeJS.ProcessEnv = process.env): CaseRouteDeps['audit'] {
  return new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
}

/** Opens sealed personal data; the KMS client is built on first use (only the case view holds kms:Decrypt). */
export function casePersonalData(env: NodeJS.ProcessEnv = process.env): CaseRouteDeps['personalData'] {
  const crypto = lazy(() => new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }));
  return { open: (sealed, context) => crypto().open(sealed, context) };
}

export function caseRouteQuotas(env: NodeJS.ProcessEnv = process.env): RouteQuotas {
  return new DynamoDbRouteQuotas({ tableName: requireEnv('rateLimitsTable', env) });
}

/** The audit subject of a case. */
export const caseSubject = (verificationId: string): string => `verification:${verificationId}`;

/** The caller's role that the route allowed (the first of the route's roles the caller holds). */
export function actingRole(caller: Caller, allowed: readonly Role[]): Role {
  return allowed.find((role) => caller.roles.includes(role)) ?? caller.roles[0] ?? 'user';
}

/** The verification of a case, or 404; 403 `OWN_VERIFICATION` when the caller is its subject. */
export async function requireCaseVerification(
  reviews: Pick<WorkflowStore, 'getVerification'>,
  verificationId: string,
  caller: Caller,
): Promise<VerificationRecord> {
  const verification = await reviews.getVerification(verificationId);
  if (!verification) throw new NotFoundError('Case not found');
  refuseOwnCase(verification, caller.userId);
  return verification;
}

/** The four-eyes check of every staff route about a verification (`own-verification.ts`). */
export { refuseOwnCase };
