/**
 * Dependencies of the workflow task handlers: ports, configuration and clock. Each handler
 * takes them injected (tests, the local runtime) or builds the AWS defaults from its
 * environment on first use.
 */
import type { KycConfig } from '../../../lib/config.ts';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.ts';
import { EnvelopeCrypto } from '../../adapters/aws/envelope-crypto.ts';
import { configFromEnv, requireEnv } from '../../adapters/aws/environment.ts';
import { EventBridgeStatusEvents } from '../../adapters/aws/eventbridge-status-events.ts';
import { KmsKeyedHasher } from '../../adapters/aws/kms-keyed-hasher.ts';
import { PowertoolsOperationalMetrics } from '../../adapters/aws/powertools-metrics.ts';
import { DynamoDbRateLimitStore, type RateLimitStore } from '../../adapters/aws/rate-limit-store.ts';
import { RekognitionFaceService } from '../../adapters/aws/rekognition-face-service.ts';
import { RekognitionLiveness } from '../../adapters/aws/rekognition-liveness.ts';
import { S3EvidenceStore } from '../../adapters/aws/s3-evidence-store.ts';
import { SfnReviewCompleter } from '../../adapters/aws/sfn-review-completer.ts';
import { DynamoDbWorkflowStore } from '../../adapters/aws/workflow-repository.ts';
import type { PersonalData, SealedData } from '../../domain/records.ts';
import type { AuditLog } from '../../ports/audit-log.ts';
import type { EvidenceVault } from '../../ports/evidence-vault.ts';
import { systemClock, type Clock } from '../../ports/clock.ts';
import type { FaceService } from '../../ports/face-service.ts';
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
  readonly audit: Pick<AuditLog, 'append'>;
  readonly faces: FaceService;
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

/** AWS adapters named by the function's environment (all workflow functions get the same variables). */
export function defaultWorkflowDeps(env: NodeJS.ProcessEnv = process.env): WorkflowDeps {
  const config = configFromEnv(env);
  const vaultBucket = requireEnv('vaultBucket', env);
  const livenessBucket = requireEnv('intakeBucket', env);
  const documentsKeyId = requireEnv('documentsKeyArn', env);
  const audit = new DynamoDbAuditLog({ tableName: requireEnv('auditTable', env) });
  // Every image handed to Rekognition is recorded on the case's audit chain (PRODUCT §5).
  const processorLog = new AuditProcessorLog({ audit, actor: `system:${env.AWS_LAMBDA_FUNCTION_NAME ?? 'workflow'}` });
  return {
    config,
    vaultBucket,
    livenessBucket,
    evidence: new S3EvidenceStore({ vaultBucket, documentsKeyId }),
    store: new DynamoDbWorkflowStore({ tableName: requireEnv('verificationsTable', env) }),
    audit,
    processorLog,
    faces: new RekognitionFaceService({ collectionId: requireEnv('faceCollectionId', env), processorLog }),
    liveness: new RekognitionLiveness({ outputBucket: livenessBucket, kmsKeyId: documentsKeyId }),
    hasher: new KmsKeyedHasher({ keyId: requireEnv('hmacKeyArn', env) }),
    personalData: new EnvelopeCrypto({ keyId: requireEnv('dataKeyArn', env) }),
    rateLimits: new DynamoDbRateLimitStore({
      tableName: requireEnv('rateLimitsTable', env),
      limits: config.rateLimits,
    }),
    events: new EventBridgeStatusEvents({ eventBusName: requireEnv('eventBusName', env) }),
    reviews: new SfnReviewCompleter(),
    clock: systemClock,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    metrics: new PowertoolsOperationalMetrics({ installation: config.prefix }),
  };
}

/** Audit actor of a workflow step. */
export function systemActor(deps: Pick<WorkflowDeps, 'functionName'>, step: string): string {
  return `system:${deps.functionName ?? step}`;
}
