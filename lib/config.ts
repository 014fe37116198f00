/**
 * Typed configuration for serverless-kyc.
 *
 * Every setting has a default and a one-line reason. Values come from, in order of precedence:
 * CDK context key `kyc` (a JSON object, e.g. `-c kyc='{"region":"eu-central-1"}'`), a JSON file
 * named by context key `kycConfigFile`, then the defaults below. `validateConfig` turns any
 * invalid combination into a `ConfigError` that fails `cdk synth` with a clear message.
 *
 * The same object is read by the Lambda handlers (through environment variables set by the
 * constructs) and by the local runtime, so thresholds are defined exactly once.
 *
 * @example
 * ```ts
 * const config = resolveConfig({ region: 'eu-west-1', allowedRegions: ['eu-west-1'] });
 * config.retention.evidenceYears; // 5
 * ```
 */
import { readFileSync } from 'node:fs';

export type DocumentType = 'passport' | 'id_card' | 'driving_licence';
export type VerificationLevel = 'basic' | 'advanced';

export interface RetentionConfig {
  /** Years identity evidence is kept under Object Lock COMPLIANCE (31 CFR 1020.220: 5 years; EU AMLD art. 40: 5 years). */
  readonly evidenceYears: number;
  /** Years audit events are kept under Object Lock COMPLIANCE (same AML window as the evidence they describe). */
  readonly auditYears: number;
  /** Days an unprocessed object may stay in the intake bucket before lifecycle deletes it. */
  readonly intakeLeftoverDays: number;
  /** Days CloudWatch keeps Lambda and workflow logs. */
  readonly logDays: number;
  /** Minutes between signed audit-archive digests (hourly, as CloudTrail delivers digest files). */
  readonly auditDigestMinutes: number;
  /** Days daily table backups stay in the locked backup vault (35: the PITR window, for a restore point older than it). */
  readonly backupDailyDays: number;
  /** Years yearly table backups are kept (at least the AML minimum, like the evidence). */
  readonly backupYearlyYears: number;
  /** Hours between runs of the deletion job that removes evidence whose retention ended (24). */
  readonly purgeEveryHours: number;
}

export interface UploadLimits {
  /**
   * Largest single file in bytes, itself accepted (PRODUCT §2: each file under 10 MB, so the
   * default is 10 MiB less one byte: a file of exactly 10 MiB is refused).
   */
  readonly maxFileBytes: number;
  /** Smallest single file in bytes (PRODUCT §2: under 100 KB is insufficient resolution). */
  readonly minFileBytes: number;
  /** Largest sum of all files of one attempt in bytes, itself accepted (PRODUCT §2: under 30 MB; 30 MiB less one byte). */
  readonly maxAttemptBytes: number;
  /** Smallest accepted side in pixels (Rekognition needs 80 px; documents need far more to be legible). */
  readonly minSidePixels: number;
  /** Largest accepted pixel count; anything bigger is a decompression bomb refused before decoding. */
  readonly maxPixels: number;
  /** Seconds a presigned POST stays valid (PRODUCT §2: expires within minutes). */
  readonly presignExpirySeconds: number;
}

export interface QualityThresholds {
  /** Edge blur of a document (Gaussian sigma, millimetres of the document) above which it is too blurry; contract: >= 0.15 mm refused, <= 0.05 mm accepted. */
  readonly blurMaxMm: number;
  /** Edge blur of a selfie (Gaussian sigma / face-box width) above which it is too blurry; contract: >= 3 % refused, <= 0.8 % accepted. */
  readonly blurMaxFaceRatio: number;
  /**
   * Documents: camera shake. When the edges measured across one direction are fewer than this
   * share of those across the perpendicular one, and at least twice as wide (or none), the photo
   * is too blurry: a long shake smears the edges across it into ramps too wide to measure, while
   * those along it stay sharp (`lambdas/quality/sharpness.ts`, `isShaken`).
   */
  readonly blurMinEdgeBalance: number;
  /** Share of the frame in clipped-white specular blobs above which glare is reported. */
  readonly glareMaxSaturatedFraction: number;
  /** Mean luminance (0-255) below which the photo is too dark. */
  readonly darkMinMeanLuminance: number;
  /** Ratio of subject to surround luminance below which the photo counts as backlit. */
  readonly backlitMinSubjectRatio: number;
  /** Degrees of rotation of the document edges above which it counts as tilted. */
  readonly maxTiltDegrees: number;
  /** Fraction of the frame's shorter side that must separate each document corner from the edge. */
  readonly cornerMarginFraction: number;
  /** Smallest face box side, as a fraction of the image's shorter side, on a selfie. */
  readonly minSelfieFaceFraction: number;
  /** Smallest face box side in pixels on a document portrait (Rekognition: 40 px at 1080p). */
  readonly minFacePixels: number;
}

export interface IdentityThresholds {
  /** CompareFaces similarity (0-100) at or above which faces match outright. */
  readonly faceMatchApprove: number;
  /** CompareFaces similarity (0-100) below which faces do not match; between the two -> manual review. */
  readonly faceMatchReject: number;
  /** Face Liveness confidence (0-100) at or above which the user is live (AWS service card: 80-90 vs injection). */
  readonly livenessApprove: number;
  /** Face Liveness confidence (0-100) below which liveness fails; between the two -> manual review. */
  readonly livenessReject: number;
  /** SearchFaces similarity (0-100) at or above which another account's face is the same person. */
  readonly duplicateFaceSimilarity: number;
}

export interface RateLimitConfig {
  /** Attempts allowed per user in the rolling window (PRODUCT §4: more than 5 per hour is unusual). */
  readonly attemptsPerWindow: number;
  /** Rolling window length in seconds. */
  readonly windowSeconds: number;
  /** Consecutive failed attempts that trigger a cooldown (PRODUCT §4: 3). */
  readonly failuresBeforeCooldown: number;
  /** Cooldown length in seconds (PRODUCT §4: 24 hours). */
  readonly cooldownSeconds: number;
  /** Distinct document types within the window that raise the document-switching risk flag. */
  readonly documentSwitchesForRiskFlag: number;
  /** Cooldown multiplier applied when the risk flag is raised (a longer wait). */
  readonly riskCooldownMultiplier: number;
  /** After a cooldown ends, send the next attempt to manual review instead of automation. */
  readonly manualReviewAfterCooldown: boolean;
  /** Verification creations per user in the rolling window; each seals data with a new KMS data key. */
  readonly verificationsPerWindow: number;
}

/** A per-user quota on one route: at most `requests` calls per fixed window of `windowSeconds`. */
export interface RouteQuota {
  readonly requests: number;
  readonly windowSeconds: number;
}

/**
 * Per-user quotas on the expensive routes, counted in the rate-limit table (fixed windows);
 * beyond a quota the route answers 429 `RATE_LIMITED` with `retryAfterSeconds`. Attempt and
 * verification creation (and the Face Liveness session made with an attempt) have their own
 * limits in `rateLimits`.
 */
export interface RouteQuotaConfig {
  /** Document views: each reads an original, renders and watermarks it (sharp + KMS) (30 per 5 minutes). */
  readonly documentView: RouteQuota;
  /** Export requests: each lists and checks up to `exportMaxVerifications` cases (10 per hour). */
  readonly exportCreate: RouteQuota;
  /** Export approvals: each builds a watermarked package of originals (10 per hour). */
  readonly exportApprove: RouteQuota;
  /** Staff case reads that decrypt personal data or list cases (120 per minute). */
  readonly caseRead: RouteQuota;
  /**
   * Support's redacted look-ups: each runs face and text detection on the document and renders
   * a thumbnail, and reveals a first name (60 per hour, a busy agent's day).
   */
  readonly supportView: RouteQuota;
  /** The applicant's own data package: every image, marked, zipped (5 per hour). */
  readonly subjectAccess: RouteQuota;
}

/** CloudWatch dashboard and alarms (`lib/constructs/operations.ts`). */
export interface OperationsConfig {
  /**
   * E-mail address subscribed to the alarm topic (none: no subscription; operators subscribe
   * themselves, e.g. `aws sns subscribe --protocol email`). The address must confirm the
   * subscription from the e-mail SNS sends.
   */
  readonly alarmEmail?: string;
  /** Rejections as a percentage of the hour's decisions above which the rejection-rate alarm fires (50). */
  readonly rejectionRatePercent: number;
  /** Fewest decisions in the hour before the rejection rate is judged at all (20): a few rejections are no spike. */
  readonly rejectionRateMinDecisions: number;
  /** Reviews past their SLA within an hour that raise the SLA alarm (1: every breach is news). */
  readonly slaBreachesPerHour: number;
  /**
   * Start every function with `NODE_OPTIONS=--enable-source-maps` (false), so stack traces of
   * unexpected errors name the TypeScript files and lines. Node then parses the function's
   * source map (1.4-2.4 MB) on every cold start: about 15-30 ms more before the first request
   * (`npm run bench -- bundles`). The maps ship beside each bundle either way; turn this on while
   * investigating an error.
   */
  readonly sourceMapsAtRuntime: boolean;
}

/** The compliance console (`web/console/`) as a static site on S3 + CloudFront (`lib/constructs/edge.ts`). */
export interface ConsoleHostingConfig {
  /** Deploy the console (false: the console runs on the local runtime only, or you host it yourself). */
  readonly enabled: boolean;
  /**
   * Prefix of the Cognito hosted-UI domain the console signs in with
   * (`<prefix>.auth.<region>.amazoncognito.com`); required when `enabled`. Globally unique per region.
   */
  readonly cognitoDomainPrefix?: string;
}

/** AWS WAF in front of the API, through a CloudFront distribution (`lib/constructs/edge.ts`). */
export interface ApiWafConfig {
  /** Put CloudFront + AWS WAF in front of the API (false: the cost is a web ACL, rules and requests, see the README). */
  readonly enabled: boolean;
  /**
   * ARN of an existing web ACL of scope CLOUDFRONT (us-east-1) to attach. None: the synth adds a
   * stack `<prefix>-waf` in us-east-1 that creates one (managed rule groups and the rate rule).
   */
  readonly webAclArn?: string;
  /** Requests one client IP may make in any 5 minutes before the rate rule blocks it (1000; WAF's minimum is 10). */
  readonly requestsPer5MinutesPerIp: number;
}

export interface ApplicantRules {
  /** Youngest age, in whole years, at which a person may verify (`UNDERAGE` below it). */
  readonly minimumAge: number;
}

export interface AuthConfig {
  /**
   * OAuth callback URLs of the app client (authorization code grant with PKCE). None: the
   * client has no OAuth flows at all (sign-in through the Cognito API with SRP only).
   */
  readonly callbackUrls: readonly string[];
  /** Sign-out URLs of the app client (only with callback URLs). */
  readonly logoutUrls: readonly string[];
}

export interface ReviewConfig {
  /** Days a manual review may take before it escalates (PRODUCT §4: SLA 3-7 days). */
  readonly slaDays: number;
}

/** The reconciler: the safety net that finds work a lost event or a stopped workflow left behind. */
export interface ReconcilerConfig {
  /** Minutes between runs (EventBridge Scheduler in AWS, a timer locally; default 15). */
  readonly everyMinutes: number;
  /** An intake object older than this with no document record is re-driven through on-upload (15). */
  readonly intakeAgeMinutes: number;
  /** An attempt in `processing` this long whose execution is not running is restarted (30). */
  readonly processingAgeMinutes: number;
  /** Restarts of one attempt before it is routed to manual review instead (2). */
  readonly maxRestarts: number;
  /** A cooldown past its end by this much is ended by the reconciler (the workflow's Wait normally does it) (5). */
  readonly cooldownGraceMinutes: number;
}

export interface FeatureSwitches {
  /** Require a Rekognition Face Liveness session with every attempt. */
  readonly liveness: boolean;
  /** Read document data (DetectText + MRZ) and compare it with what the user declared. */
  readonly ocr: boolean;
  /** Deliver signed webhooks for status changes (EventBridge events are always sent). */
  readonly webhooks: boolean;
}

/** Audited access to evidence: document views and two-person exports (PRODUCT §5). */
export interface EvidenceAccessConfig {
  /** Seconds a document view's presigned GET stays valid (PRODUCT §7: at most 60). */
  readonly viewUrlSeconds: number;
  /** Longest side of a rendition in pixels; larger originals are scaled down before marking. */
  readonly renditionMaxSidePixels: number;
  /** Hours an export request waits for a second person's approval before it expires (24). */
  readonly exportApprovalHours: number;
  /** Seconds an approved export's one-time download link stays valid (PRODUCT §7: at most 600). */
  readonly exportDownloadSeconds: number;
  /** Most verifications one export may hold (the package is built within one API call). */
  readonly exportMaxVerifications: number;
}

/**
 * Reserved concurrency of the functions that call Amazon Rekognition, sized so that even at
 * full concurrency their calls stay under the account's TPS quota of each operation (quotas are
 * per account and Region, shared with anything else in the account). Throttling that still
 * happens (other workloads, bursts) is absorbed by the SDK's retries, the event deliveries'
 * retries and the workflow's Retry (tested with the local fault plan).
 */
export interface ConcurrencyConfig {
  /**
   * Transactions per second the deployment may use of each Rekognition operation it calls
   * (default 5: the smallest default quota in the "Amazon Rekognition endpoints and quotas"
   * table of the AWS General Reference, https://docs.aws.amazon.com/general/latest/gr/rekognition.html,
   * which some Regions, e.g. us-east-1, us-west-2 and eu-west-1, raise for some operations).
   * Raise it to your applied quota (Service Quotas console) to allow more concurrency.
   */
  readonly rekognitionTps: number;
  /** Reserved concurrent executions of on-upload (one DetectFaces per selfie or document front). */
  readonly onUpload: number;
  /** Of each workflow step that calls Rekognition: FaceMatch, Liveness, DocumentData, Duplicates, FinalizeApprove. */
  readonly rekognitionSteps: number;
}

/**
 * Who calls which Rekognition operation, how often per invocation, and the shortest time one
 * such invocation takes (reads and writes around the call, the call's own round trip: about
 * 200 ms at best; the gate decodes the image before its DetectFaces call). Worst case of an
 * operation: sum over its callers of reserved executions x calls / shortest invocation.
 */
export const REKOGNITION_CALLERS: readonly {
  readonly caller: 'onUpload' | 'rekognitionSteps';
  readonly step: string;
  readonly operation: string;
  readonly callsPerInvocation: number;
  readonly minInvocationSeconds: number;
}[] = [
  { caller: 'onUpload', step: 'OnUpload', operation: 'DetectFaces', callsPerInvocation: 1, minInvocationSeconds: 1 },
  {
    caller: 'rekognitionSteps',
    step: 'FaceMatch',
    operation: 'CompareFaces',
    callsPerInvocation: 1,
    minInvocationSeconds: 0.5,
  },
  {
    caller: 'rekognitionSteps',
    step: 'Liveness',
    operation: 'CompareFaces',
    callsPerInvocation: 2,
    minInvocationSeconds: 1,
  },
  {
    caller: 'rekognitionSteps',
    step: 'Liveness',
    operation: 'GetFaceLivenessSessionResults',
    callsPerInvocation: 1,
    minInvocationSeconds: 1,
  },
  {
    caller: 'rekognitionSteps',
    step: 'Liveness',
    operation: 'SearchFacesByImage',
    callsPerInvocation: 1,
    minInvocationSeconds: 1,
  },
  {
    caller: 'rekognitionSteps',
    step: 'DocumentData',
    operation: 'DetectText',
    callsPerInvocation: 1,
    minInvocationSeconds: 0.5,
  },
  {
    caller: 'rekognitionSteps',
    step: 'Duplicates',
    operation: 'IndexFaces',
    callsPerInvocation: 1,
    minInvocationSeconds: 0.5,
  },
  {
    caller: 'rekognitionSteps',
    step: 'Duplicates',
    operation: 'SearchFacesByImage',
    callsPerInvocation: 1,
    minInvocationSeconds: 0.5,
  },
  {
    caller: 'rekognitionSteps',
    step: 'FinalizeReject',
    operation: 'DeleteFaces',
    callsPerInvocation: 1,
    minInvocationSeconds: 0.5,
  },
  {
    caller: 'rekognitionSteps',
    step: 'FinalizeApprove',
    operation: 'IndexFaces',
    callsPerInvocation: 1,
    minInvocationSeconds: 0.5,
  },
];

/**
 * Worst-case transactions per second of each Rekognition operation at full reserved concurrency.
 *
 * @example
 * ```ts
 * rekognitionPeakTps(DEFAULT_CONFIG); // { DetectFaces: 4, CompareFaces: 5, ... }
 * ```
 */
export function rekognitionPeakTps(config: Pick<KycConfig, 'concurrency'>): Record<string, number> {
  const peak: Record<string, number> = {};
  for (const entry of REKOGNITION_CALLERS) {
    const executions = config.concurrency[entry.caller];
    peak[entry.operation] =
      (peak[entry.operation] ?? 0) + (executions * entry.callsPerInvocation) / entry.minInvocationSeconds;
  }
  return peak;
}

export interface KycConfig {
  /** Region the stack is deployed to; identity data never leaves it. */
  readonly region: string;
  /** Regions where deployment is allowed (data residency); any other region fails synth. */
  readonly allowedRegions: readonly string[];
  /** AWS account to deploy to; undefined leaves the stack environment-agnostic except for region. */
  readonly account?: string;
  /** Prefix for resource names, so several installations can share an account. */
  readonly prefix: string;
  /** Origins allowed to POST uploads and call the API from a browser; none by default (deny). */
  readonly allowedOrigins: readonly string[];
  readonly retention: RetentionConfig;
  readonly uploads: UploadLimits;
  readonly quality: QualityThresholds;
  readonly identity: IdentityThresholds;
  readonly rateLimits: RateLimitConfig;
  readonly routeQuotas: RouteQuotaConfig;
  readonly review: ReviewConfig;
  readonly reconciler: ReconcilerConfig;
  readonly features: FeatureSwitches;
  readonly applicants: ApplicantRules;
  readonly auth: AuthConfig;
  readonly evidenceAccess: EvidenceAccessConfig;
  readonly operations: OperationsConfig;
  readonly consoleHosting: ConsoleHostingConfig;
  readonly apiWaf: ApiWafConfig;
  /** Reserved concurrency of the functions calling Rekognition, from its TPS quotas. */
  readonly concurrency: ConcurrencyConfig;
  /** Webhook endpoint for status changes, used only when `features.webhooks` is on. */
  readonly webhookUrl?: string;
  /**
   * IAM role admitted to every evidence allow-list (vault and audit-archive reads, Decrypt on
   * the documents and personal-data keys) and to key-policy changes, for incidents and
   * regulator requests (default `arn:<partition>:iam::<account>:role/<prefix>-break-glass`).
   */
  readonly breakGlassRoleArn?: string;
}

/** Smallest retention the AML rules allow (31 CFR 1020.220; EU AMLD art. 40; AMLR 2024/1624 art. 77). */
export const MIN_RETENTION_YEARS = 5;

/** Days in `years` years, counting leap days the way S3 Object Lock does (365.25 rounded up). */
export function retentionDays(years: number): number {
  return Math.ceil(years * 365.25);
}

export const DEFAULT_CONFIG: KycConfig = {
  region: 'eu-west-1',
  allowedRegions: ['eu-west-1'],
  prefix: 'kyc',
  allowedOrigins: [],
  retention: {
    evidenceYears: 5,
    auditYears: 5,
    intakeLeftoverDays: 1,
    logDays: 365,
    auditDigestMinutes: 60,
    backupDailyDays: 35,
    backupYearlyYears: 5,
    purgeEveryHours: 24,
  },
  uploads: {
    maxFileBytes: 10 * 1024 * 1024 - 1,
    minFileBytes: 100 * 1024,
    maxAttemptBytes: 30 * 1024 * 1024 - 1,
    minSidePixels: 600,
    maxPixels: 50_000_000,
    presignExpirySeconds: 300,
  },
  quality: {
    blurMaxMm: 0.085,
    blurMaxFaceRatio: 0.016,
    blurMinEdgeBalance: 0.35,
    glareMaxSaturatedFraction: 0.012,
    darkMinMeanLuminance: 55,
    backlitMinSubjectRatio: 0.45,
    maxTiltDegrees: 12,
    cornerMarginFraction: 0.01,
    minSelfieFaceFraction: 0.2,
    minFacePixels: 40,
  },
  identity: {
    faceMatchApprove: 95,
    faceMatchReject: 80,
    livenessApprove: 85,
    livenessReject: 60,
    duplicateFaceSimilarity: 95,
  },
  rateLimits: {
    attemptsPerWindow: 5,
    windowSeconds: 3600,
    failuresBeforeCooldown: 3,
    cooldownSeconds: 24 * 3600,
    documentSwitchesForRiskFlag: 3,
    riskCooldownMultiplier: 2,
    manualReviewAfterCooldown: true,
    verificationsPerWindow: 5,
  },
  routeQuotas: {
    documentView: { requests: 30, windowSeconds: 300 },
    exportCreate: { requests: 10, windowSeconds: 3600 },
    exportApprove: { requests: 10, windowSeconds: 3600 },
    caseRead: { requests: 120, windowSeconds: 60 },
    supportView: { requests: 60, windowSeconds: 3600 },
    subjectAccess: { requests: 5, windowSeconds: 3600 },
  },
  review: { slaDays: 7 },
  reconciler: {
    everyMinutes: 15,
    intakeAgeMinutes: 15,
    processingAgeMinutes: 30,
    maxRestarts: 2,
    cooldownGraceMinutes: 5,
  },
  features: { liveness: true, ocr: true, webhooks: false },
  applicants: { minimumAge: 18 },
  auth: { callbackUrls: [], logoutUrls: [] },
  evidenceAccess: {
    viewUrlSeconds: 60,
    renditionMaxSidePixels: 2400,
    exportApprovalHours: 24,
    exportDownloadSeconds: 600,
    exportMaxVerifications: 10,
  },
  operations: {
    rejectionRatePercent: 50,
    rejectionRateMinDecisions: 20,
    slaBreachesPerHour: 1,
    sourceMapsAtRuntime: false,
  },
  consoleHosting: { enabled: false },
  apiWaf: { enabled: false, requestsPer5MinutesPerIp: 1000 },
  // At most 4 TPS of any Rekognition operation (see REKOGNITION_CALLERS), under a 5 TPS quota.
  concurrency: { rekognitionTps: 5, onUpload: 4, rekognitionSteps: 1 },
};

/** A configuration value that cannot be deployed; the message names the setting and the rule. */
export class ConfigError extends Error {
  public readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid serverless-kyc configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type PartialConfig = {
  [K in keyof KycConfig]?: KycConfig[K] extends readonly string[]
    ? readonly string[]
    : KycConfig[K] extends object
      ? Partial<KycConfig[K]>
      : KycConfig[K];
};

/** Merges a partial configuration onto the defaults and validates the result. */
export function resolveConfig(partial: PartialConfig = {}): KycConfig {
  const merged = mergeConfig(partial);
  validateConfig(merged);
  return merged;
}

/**
 * Merges a partial configuration onto the defaults, without validating it: for a configuration
 * {@link resolveConfig} already validated where it was made (a function's `KYC_CONFIG`, written
 * at synth), so the functions do not carry the validation code.
 */
export function mergeConfig(partial: PartialConfig = {}): KycConfig {
  return {
    ...DEFAULT_CONFIG,
    ...partial,
    allowedRegions: partial.allowedRegions ?? (partial.region ? [partial.region] : DEFAULT_CONFIG.allowedRegions),
    retention: { ...DEFAULT_CONFIG.retention, ...partial.retention },
    uploads: { ...DEFAULT_CONFIG.uploads, ...partial.uploads },
    quality: { ...DEFAULT_CONFIG.quality, ...partial.quality },
    identity: { ...DEFAULT_CONFIG.identity, ...partial.identity },
    rateLimits: { ...DEFAULT_CONFIG.rateLimits, ...partial.rateLimits },
    routeQuotas: { ...DEFAULT_CONFIG.routeQuotas, ...partial.routeQuotas },
    review: { ...DEFAULT_CONFIG.review, ...partial.review },
    reconciler: { ...DEFAULT_CONFIG.reconciler, ...partial.reconciler },
    features: { ...DEFAULT_CONFIG.features, ...partial.features },
    applicants: { ...DEFAULT_CONFIG.applicants, ...partial.applicants },
    auth: { ...DEFAULT_CONFIG.auth, ...partial.auth },
    evidenceAccess: { ...DEFAULT_CONFIG.evidenceAccess, ...partial.evidenceAccess },
    operations: { ...DEFAULT_CONFIG.operations, ...partial.operations },
    consoleHosting: { ...DEFAULT_CONFIG.consoleHosting, ...partial.consoleHosting },
    apiWaf: { ...DEFAULT_CONFIG.apiWaf, ...partial.apiWaf },
    concurrency: { ...DEFAULT_CONFIG.concurrency, ...partial.concurrency },
  } as KycConfig;
}

/** Throws a `ConfigError` listing every problem found; returns nothing when the configuration is valid. */
export function validateConfig(config: KycConfig): void {
  const problems: string[] = [];
  const positive = (path: string, value: number): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      problems.push(`${path} must be a positive number (got ${String(value)})`);
    }
  };
  const percent = (path: string, value: number): void => {
    if (typeof value !== 'number' || !(value >= 0 && value <= 100)) {
      problems.push(`${path} must be between 0 and 100 (got ${String(value)})`);
    }
  };

  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(config.region)) {
    problems.push(`region "${config.region}" is not an AWS region name`);
  }
  if (!config.allowedRegions.includes(config.region)) {
    problems.push(
      `region "${config.region}" is outside allowedRegions [${config.allowedRegions.join(', ')}]: ` +
        'identity data must stay in the regions you chose (data residency)',
    );
  }
  if (!/^[a-z][a-z0-9-]{1,20}$/.test(config.prefix)) {
    problems.push(`prefix "${config.prefix}" must be 2-21 lower-case letters, digits or dashes`);
  }
  for (const origin of config.allowedOrigins) {
    if (!/^https?:\/\/[^/\s*]+$/.test(origin)) {
      problems.push(`allowedOrigins entry "${origin}" must be a scheme and host without path or wildcard`);
    }
  }

  const { retention, uploads, quality, identity, rateLimits, review } = config;
  const { concurrency } = config;
  if (!(concurrency.rekognitionTps > 0)) problems.push('concurrency.rekognitionTps must be positive');
  for (const name of ['onUpload', 'rekognitionSteps'] as const)
    if (!Number.isInteger(concurrency[name]) || concurrency[name] < 1)
      problems.push(`concurrency.${name} must be an integer of at least 1`);
  for (const [operation, tps] of Object.entries(rekognitionPeakTps(config)))
    if (tps > concurrency.rekognitionTps)
      problems.push(
        `concurrency: at full reserved concurrency Rekognition ${operation} could reach ${tps} TPS, above concurrency.rekognitionTps (${concurrency.rekognitionTps})`,
      );
  for (const [key, years] of [
    ['retention.evidenceYears', retention.evidenceYears],
    ['retention.auditYears', retention.auditYears],
    ['retention.backupYearlyYears', retention.backupYearlyYears],
  ] as const) {
    if (typeof years !== 'number' || !(years >= MIN_RETENTION_YEARS)) {
      problems.push(
        `${key} must be at least ${MIN_RETENTION_YEARS} years (AML record keeping: 31 CFR 1020.220, EU AMLD art. 40); got ${String(years)}`,
      );
    }
  }
  positive('retention.intakeLeftoverDays', retention.intakeLeftoverDays);
  if (
    !Number.isInteger(retention.purgeEveryHours) ||
    retention.purgeEveryHours < 1 ||
    retention.purgeEveryHours > 168
  ) {
    problems.push('retention.purgeEveryHours must be a whole number of hours from 1 to 168');
  }
  positive('retention.logDays', retention.logDays);
  positive('retention.auditDigestMinutes', retention.auditDigestMinutes);
  positive('retention.backupDailyDays', retention.backupDailyDays);

  for (const [key, value] of Object.entries(uploads)) positive(`uploads.${key}`, value as number);
  if (uploads.minFileBytes >= uploads.maxFileBytes)
    problems.push('uploads.minFileBytes must be below uploads.maxFileBytes');
  if (uploads.maxFileBytes > uploads.maxAttemptBytes)
    problems.push('uploads.maxFileBytes must not exceed uploads.maxAttemptBytes');
  if (uploads.presignExpirySeconds > 900) {
    problems.push('uploads.presignExpirySeconds must be at most 900 (presigned uploads expire within minutes)');
  }

  for (const [key, value] of Object.entries(quality)) positive(`quality.${key}`, value as number);
  for (const [key, value] of Object.entries(identity)) percent(`identity.${key}`, value as number);
  if (identity.faceMatchReject > identity.faceMatchApprove) {
    problems.push('identity.faceMatchReject must not exceed identity.faceMatchApprove');
  }
  if (identity.livenessReject > identity.livenessApprove) {
    problems.push('identity.livenessReject must not exceed identity.livenessApprove');
  }

  for (const [key, value] of Object.entries(rateLimits)) {
    if (typeof value === 'number') positive(`rateLimits.${key}`, value);
  }
  if (!Number.isInteger(rateLimits.attemptsPerWindow)) problems.push('rateLimits.attemptsPerWindow must be an integer');
  if (!Number.isInteger(rateLimits.failuresBeforeCooldown))
    problems.push('rateLimits.failuresBeforeCooldown must be an integer');

  for (const [key, quota] of Object.entries(config.routeQuotas)) {
    const { requests, windowSeconds } = (quota ?? {}) as Partial<RouteQuota>;
    if (!Number.isInteger(requests) || (requests as number) < 1) {
      problems.push(`routeQuotas.${key}.requests must be a whole number >= 1 (got ${String(requests)})`);
    }
    if (!Number.isInteger(windowSeconds) || (windowSeconds as number) < 1 || (windowSeconds as number) > 86_400) {
      problems.push(
        `routeQuotas.${key}.windowSeconds must be a whole number of seconds from 1 to 86400 (got ${String(windowSeconds)})`,
      );
    }
  }

  positive('review.slaDays', review.slaDays);
  if (review.slaDays > 365)
    problems.push('review.slaDays must be at most 365 (a Step Functions task token lives at most a year)');

  if (!Number.isInteger(rateLimits.verificationsPerWindow))
    problems.push('rateLimits.verificationsPerWindow must be an integer');
  const { minimumAge } = config.applicants;
  if (!Number.isInteger(minimumAge) || minimumAge < 0 || minimumAge > 120) {
    problems.push(`applicants.minimumAge must be a whole number of years from 0 to 120 (got ${String(minimumAge)})`);
  }
  for (const [key, urls] of [
    ['auth.callbackUrls', config.auth.callbackUrls],
    ['auth.logoutUrls', config.auth.logoutUrls],
  ] as const) {
    for (const url of urls) {
      // RFC 6749 §3.1.2 / Cognito: https only, except http://localhost for development.
      if (!/^https:\/\/[^\s#*]+$/.test(url) && !/^http:\/\/localhost(:\d+)?(\/[^\s#*]*)?$/.test(url)) {
        problems.push(`${key} entry "${url}" must be an https URL (or http://localhost) without fragment or wildcard`);
      }
    }
  }
  if (config.auth.logoutUrls.length > 0 && config.auth.callbackUrls.length === 0) {
    problems.push('auth.logoutUrls need auth.callbackUrls (no OAuth flow is enabled without them)');
  }
  for (const [key, value] of Object.entries(config.reconciler)) {
    if (key === 'maxRestarts') {
      if (!Number.isInteger(value) || value < 0) problems.push('reconciler.maxRestarts must be an integer >= 0');
    } else positive(`reconciler.${key}`, value);
  }
  if (!Number.isInteger(config.reconciler.everyMinutes) || config.reconciler.everyMinutes > 1440)
    problems.push('reconciler.everyMinutes must be a whole number of minutes up to 1440');
  const access = config.evidenceAccess;
  for (const [key, value] of Object.entries(access)) positive(`evidenceAccess.${key}`, value as number);
  if (access.viewUrlSeconds > 60) problems.push('evidenceAccess.viewUrlSeconds must be at most 60 (PRODUCT §7)');
  if (access.exportDownloadSeconds > 600) {
    problems.push('evidenceAccess.exportDownloadSeconds must be at most 600 (PRODUCT §7: 10 minutes)');
  }
  if (!Number.isInteger(access.exportMaxVerifications) || access.exportMaxVerifications > 50) {
    problems.push('evidenceAccess.exportMaxVerifications must be an integer of at most 50');
  }

  const { operations, consoleHosting, apiWaf } = config;
  // A practical address check (RFC 5321 lengths, one @, a dotted domain); SNS sends the real test, a confirmation mail.
  if (
    operations.alarmEmail !== undefined &&
    (typeof operations.alarmEmail !== 'string' ||
      operations.alarmEmail.length > 254 ||
      !/^[^\s@]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(operations.alarmEmail))
  ) {
    problems.push(`operations.alarmEmail "${String(operations.alarmEmail)}" is not an e-mail address`);
  }
  if (!(operations.rejectionRatePercent > 0 && operations.rejectionRatePercent <= 100)) {
    problems.push(
      `operations.rejectionRatePercent must be above 0 and at most 100 (got ${String(operations.rejectionRatePercent)})`,
    );
  }
  if (!Number.isInteger(operations.rejectionRateMinDecisions) || operations.rejectionRateMinDecisions < 1) {
    problems.push('operations.rejectionRateMinDecisions must be a whole number >= 1');
  }
  if (!Number.isInteger(operations.slaBreachesPerHour) || operations.slaBreachesPerHour < 1) {
    problems.push('operations.slaBreachesPerHour must be a whole number >= 1');
  }
  if (typeof operations.sourceMapsAtRuntime !== 'boolean') {
    problems.push('operations.sourceMapsAtRuntime must be true or false');
  }
  if (consoleHosting.enabled) {
    const domain = consoleHosting.cognitoDomainPrefix;
    // Cognito: lower-case letters, digits and hyphens, 1-63, not starting or ending with a hyphen, no reserved words.
    if (!domain || !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domain) || /aws|amazon|cognito/.test(domain)) {
      problems.push(
        'consoleHosting.cognitoDomainPrefix must be 1-63 lower-case letters, digits or inner hyphens, without "aws", "amazon" or "cognito" (required with consoleHosting.enabled)',
      );
    }
  }
  if (
    apiWaf.webAclArn !== undefined &&
    !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]+\/[\w-]+$/.test(apiWaf.webAclArn)
  ) {
    problems.push(
      'apiWaf.webAclArn must be the ARN of a CLOUDFRONT-scope web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)',
    );
  }
  if (
    !Number.isInteger(apiWaf.requestsPer5MinutesPerIp) ||
    apiWaf.requestsPer5MinutesPerIp < 10 ||
    apiWaf.requestsPer5MinutesPerIp > 2_000_000_000
  ) {
    problems.push(
      'apiWaf.requestsPer5MinutesPerIp must be a whole number from 10 to 2000000000 (the WAF rate-rule limits)',
    );
  }

  if (config.features.webhooks && !config.webhookUrl) problems.push('features.webhooks needs webhookUrl');
  if (config.webhookUrl && !/^https:\/\//.test(config.webhookUrl)) problems.push('webhookUrl must use https');
  if (
    config.breakGlassRoleArn !== undefined &&
    !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(config.breakGlassRoleArn)
  ) {
    problems.push('breakGlassRoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  }

  if (problems.length > 0) throw new ConfigError(problems);
}

/** Minimal view of a CDK construct node, so this file needs no CDK import. */
export interface ContextReader {
  tryGetContext(key: string): unknown;
}

/**
 * Reads the configuration from CDK context: `kycConfigFile` (path to a JSON file) and `kyc`
 * (a JSON object or JSON string) layered onto the defaults.
 */
export function configFromContext(node: ContextReader): KycConfig {
  let partial: PartialConfig = {};
  const file = node.tryGetContext('kycConfigFile');
  if (typeof file === 'string' && file.length > 0) {
    try {
      partial = JSON.parse(readFileSync(file, 'utf8')) as PartialConfig;
    } catch (error) {
      throw new ConfigError([`kycConfigFile "${file}" could not be read as JSON: ${(error as Error).message}`]);
    }
  }
  const inline = node.tryGetContext('kyc');
  if (inline !== undefined) {
    let parsed: unknown = inline;
    if (typeof inline === 'string') {
      try {
        parsed = JSON.parse(inline);
      } catch (error) {
        throw new ConfigError([`context "kyc" is not valid JSON: ${(error as Error).message}`]);
      }
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ConfigError(['context "kyc" must be a JSON object']);
    partial = mergePartial(partial, parsed as PartialConfig);
  }
  return resolveConfig(partial);
}

function mergePartial(base: PartialConfig, over: PartialConfig): PartialConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prior && typeof prior === 'object'
        ? { ...(prior as object), ...(value as object) }
        : value;
  }
  return out as PartialConfig;
}
