/**
 * Dependencies of the workflow task handlers: ports, configuration and clock. Each handler
 * takes them injected (tests, the local runtime) or builds the AWS defaults of the ports its
 * step uses from its environment on first use.
 */
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { EventBridgeStatusEvents } from '../../adapters/aws/eventbridge-status-events.ts';
import { KmsKeyedHasher } from '../../adapters/aws/kms-keyed-hasher.ts';
import { PowertoolsOperationalMetrics } from '../../adapters/aws/powertools-metrics.ts';
import { DynamoDbRateLimitStore, type RateLimitStore } from '../../adapters/aws/rate-limit-store.ts';
import { RekognitionDocumentText } from '../../adapters/aws/rekognition-document-text.ts';
import { RekognitionFaceService } from '../../adapters/aws/rekognition-face-service.ts';
import { RekognitionLiveness } from '../../adapters/aws/rekognition-liveness.ts';
import { S3EvidenceStore } from '../../adapters/aws/s3-evidence-store.ts';
import { SfnReviewCompleter } from '../../adapters/aws/sfn-review-completer.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import type { PersonalData, SealedData } from '../../domain/records.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import type { EvidenceVault } from '../../ports/evidence-vault.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { DocumentText, FaceService } from '../../ports/face-service.ts';
import type { KeyedHasher } from '../../ports/keyed-hash.ts';
import type { LivenessService } from '../../ports/liveness.ts';
import type { OperationalMetrics } from '../../ports/operational-metrics.ts';
import type { StatusEvents } from '../../ports/status-events.ts';
import type { ReviewCompleter } from '../../ports/workflow.ts';
import type { WorkflowStore } from '../../ports/workflow-store.ts';
import type { ProcessorLog } from '../../ports/processor-log.ts';
import { AuditProcessorLog } from '../../adapters/aws/audit-processor-log.ts';

export interface WorkflowDeps {
  readonly config: KycConfig;
  /** Bucket holding accepted evidence (Object Lock). */
  readonly vaultBucket: string;
  /** Bucket Face Liveness sessions write their images to (the short-lived intake bucket). */
  readonly livenessBucket: string;
  /** Copies liveness images of an attempt that goes to a decision into the vault. */
  readonly evidence: EvidenceVault;
  readonly store: WorkflowStore;
  /** Waits between polls (tests pass one that moves a fake clock); `setTimeout` by default. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** `list`: a step run again after a crash checks whether its audit event is already written. */
  readonly audit: Pick<AuditLog, 'append' | 'list'>;
  readonly faces: FaceService;
  /** Reads the document's machine-readable zone (the document data step). */
  readonly text: DocumentText;
  readonly liveness: Pick<LivenessService, 'getResult'>;
  readonly hasher: KeyedHasher;
  readonly personalData: { open(sealed: SealedData, context: { verificationId: string }): Promise<PersonalData> };
  readonly rateLimits: Pick<RateLimitStore, 'recordOutcome'>;
  readonly events: StatusEvents;
  readonly reviews: ReviewCompleter;
  readonly clock: Clock;
  /** Name of the function, recorded as the audit actor `system:<name>`. */
  readonly functionName?: string;
  /** Records images handed to processors outside `faces` (Face Liveness results); none: not recorded. */
  readonly processorLog?: ProcessorLog;
  /** Decisions, rejection reasons and SLA breaches for the operations dashboard; none: not counted. */
  readonly metrics?: OperationalMetrics;
}

/**
 * Builders of the AWS defaults, one per port, from the function's environment (all workflow
 * functions get the same variables). Each step's handler builds only the ports its step takes,
 * so its bundle carries only the SDK clients it calls (the bundler drops the unused builders
 * and their adapters).
 *
 * @example
 * ```ts
 * export const handler = workflowTask('load-attempt', loadAttemptStep, () => ({
 *   ...workflowSettings(),
 *   store: workflowStore(),
 *   audit: auditLog(),
 * }));
 * ```
 */
export function workflowSettings(
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkflowDeps, 'config' | 'clock' | 'functionName'> {
  return { ...workflowRuntime(env), config: configFromEnv(env) };
}

/** Clock and function name, for the steps that take no configuration (no `lib/config.ts` in their bundle). */
export function workflowRuntime(env: NodeJS.ProcessEnv = process.env): Pick<WorkflowDeps, 'clock' | 'functionName'> {
  return { clock: systemClock, functionName: env.AWS_LAMBDA_FUNCTION_NAME };
}

/** Buckets named by the environment: the vault, and the intake bucket Face Liveness writes to. */
export function workflowBuckets(
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkflowDeps, 'vaultBucket' | 'livenessBucket'> {
  return { vaultBucket: requireEnv('vaultBucket', env), livenessBucket: requireEnv('intakeBucket', env) };
}

export function workflowStore(env: NodeJS.ProcessEnv = process.env): WorkflowStore {
  return new DynamoDbWorkflowStore({ tableName: requireEnv('verificationsTable', env) });
}

export function auditLog(env: NodeJS.ProcessEnv = process.env): DynamoDbAuditLog {
  return new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
}

/** Records every image handed to Rekognition on the case's audit chain (PRODUCT §5). */
export function processorLog(audit: Pick<AuditLog, 'append'>, env: NodeJS.ProcessEnv = process.env): ProcessorLog {
  return new AuditProcessorLog({ audit, actor: `system:${env.AWS_LAMBDA_FUNCTION_NAME ?? 'workflow'}` });
}

/** The face service, recording each image it hands over on `log`. */
export function faceService(log: ProcessorLog, env: NodeJS.ProcessEnv = process.env): FaceService {
  return new RekognitionFaceService({ collectionId: requireEnv('faceCollectionId', env), processorLog: log });
}

/** The document text reader, recording each image it reads on `log`. */
export function documentText(log: ProcessorLog): DocumentText {
  return new RekognitionDocumentText({ processorLog: log });
}

/**
 * The ports of a step that hands images to the face service: the store, the buckets, the audit
 * log, and the face service recording every image it is given on the case's audit chain.
 */
export function faceStepPorts(
  env: NodeJS.ProcessEnv = process.env,
): Pick<WorkflowDeps, 'store' | 'vaultBucket' | 'livenessBucket' | 'audit' | 'processorLog' | 'faces'> {
  const audit = auditLog(env);
  const log = processorLog(audit, env);
  return { ...workflowBuckets(env), store: workflowStore(env), audit, processorLog: log, faces: faceService(log, env) };
}

export function evidenceVault(env: NodeJS.ProcessEnv = process.env): EvidenceVault {
  return new S3EvidenceStore({
    vaultBucket: requireEnv('vaultBucket', env),
    documentsKeyId: requireEnv('documentsKeyArn', env),
  });
}

export function livenessService(env: NodeJS.ProcessEnv = process.env): Pick<LivenessService, 'getResult'> {
  return new RekognitionLiveness({
    outputBucket: requireEnv('intakeBucket', env),
    kmsKeyId: requireEnv('documentsKeyArn', env),
  });
}

export function keyedHasher(env: NodeJS.ProcessEnv = process.env): KeyedHasher {
  return new KmsKeyedHasher({ keyId: requireEnv('hmacKeyArn', env) });
}

export function personalDataCrypto(env: NodeJS.ProcessEnv = process.env): WorkflowDeps['personalData'] {
  return new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) });
}

export function rateLimitStore(config: KycConfig, env: NodeJS.ProcessEnv = process.env): WorkflowDeps['rateLimits'] {
  return new DynamoDbRateLimitStore({ tableName: requireEnv('rateLimitsTable', env), limits: config.rateLimits });
}

export function statusEvents(env: NodeJS.ProcessEnv = process.env): StatusEvents {
  return new EventBridgeStatusEvents({ eventBusName: requireEnv('eventBusName', env) });
}

export function reviewCompleter(): ReviewCompleter {
  return new SfnReviewCompleter();
}

/** Decisions, rejection reasons and SLA breaches as EMF lines, dimension `service` = the installation. */
export function operationalMetrics(config: KycConfig): OperationalMetrics {
  return new PowertoolsOperationalMetrics({ installation: config.prefix });
}

/** Audit actor of a workflow step. */
export function systemActor(deps: Pick<WorkflowDeps, 'functionName'>, step: string): string {
  return `system:${deps.functionName ?? step}`;
}
