/**
 * Cost of one verification on AWS, per path, from a price table and measured usage. Pure: no
 * I/O, no clock; `kyc cost` reads the files and prints, `npm run bench` measures the usage.
 *
 * Usage per path comes from a real local run (`bench/e2e.ts`): Rekognition images and liveness
 * checks counted at the local Rekognition, state transitions from the executions' history of the
 * synthesized state machine, Lambda durations per invocation with each function's configured
 * memory, DynamoDB request units as DynamoDB Local reports them (`ConsumedCapacity`), S3 and
 * KMS requests, log bytes and published events counted at the local servers.
 */
import * as z from 'zod';

const priceItem = z.object({ usd: z.number().nonnegative(), per: z.number().positive(), unit: z.string().min(1) });

/** The price items the model needs; a table missing one is refused. */
export const PRICE_ITEMS = [
  'rekognitionImage',
  'rekognitionFaceLiveness',
  'textractPage',
  'stepFunctionsTransition',
  'lambdaGbSecondArm',
  'lambdaRequest',
  'dynamodbWriteUnit',
  'dynamodbReadUnit',
  's3PutRequest',
  's3GetRequest',
  's3StandardGbMonth',
  's3GlacierIrGbMonth',
  's3LifecycleTransition',
  'kmsRequest',
  'cloudwatchLogsIngestGb',
  'cloudwatchLogsStoredGbMonth',
  'eventBridgeEvent',
] as const;
export type PriceItem = (typeof PRICE_ITEMS)[number];

export const priceTableSchema = z.object({
  region: z.string().min(1),
  currency: z.literal('USD'),
  source: z.string().min(10),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  items: z.object(
    Object.fromEntries(PRICE_ITEMS.map((item) => [item, priceItem])) as Record<PriceItem, typeof priceItem>,
  ),
  commercial: z.object({ source: z.string().min(1), lowUsd: z.number().positive(), highUsd: z.number().positive() }),
});
export type PriceTable = z.infer<typeof priceTableSchema>;

export const PATHS = ['approvedBasic', 'rejectedAtGate', 'rejectedAfterChecks', 'manualReview', 'advanced'] as const;
export type CostPath = (typeof PATHS)[number];

const count = z.number().nonnegative();
export const pathUsageSchema = z.object({
  /** Rekognition image API calls (one image each). */
  rekognitionImages: count,
  livenessChecks: count,
  textractPages: count,
  /** State transitions of the executions, retries excluded. */
  stateTransitions: count,
  /** Extra transitions if every Task state entered used all its configured retries (shown apart). */
  retryTransitionsWorstCase: count,
  lambda: z.array(z.object({ functionName: z.string(), memoryMb: count, durationMs: count, invocations: count })),
  dynamodb: z.object({ readUnits: count, writeUnits: count }),
  s3: z.object({ putRequests: count, getRequests: count, lifecycleTransitions: count }),
  /** Evidence kept for the retention period, in bytes (vault objects, audit archive). */
  storedBytes: count,
  kmsRequests: count,
  logBytes: count,
  events: count,
});
export type PathUsage = z.infer<typeof pathUsageSchema>;

export const usageFileSchema = z.object({
  measuredAt: z.string(),
  how: z.string(),
  machine: z.string(),
  /** Retention and tiering as the synthesized templates configure them. */
  storagePlan: z.object({ years: count, archiveAfterDays: count, logRetentionDays: count }),
  verificationsPerPath: z.record(z.string(), count),
  paths: z.partialRecord(z.enum(PATHS), pathUsageSchema),
});
export type UsageFile = z.infer<typeof usageFileSchema>;

/** How long evidence is kept and when it moves to Glacier Instant Retrieval. */
export interface StoragePlan {
  readonly years: number;
  readonly archiveAfterDays: number;
  readonly logRetentionDays: number;
}

export interface CostLine {
  readonly item: string;
  readonly usd: number;
}

export interface PathCost {
  readonly path: CostPath;
  readonly lines: readonly CostLine[];
  /** Everything except Face Liveness. */
  readonly totalExcludingLivenessUsd: number;
  readonly livenessUsd: number;
  readonly totalUsd: number;
  /** Worst case of retries, not in the totals. */
  readonly retriesWorstCaseUsd: number;
  /** Storage for the whole retention period, included in the totals. */
  readonly storageUsd: number;
}

const GB = 1024 ** 3;
const DAYS_PER_MONTH = 365.25 / 12;

function price(table: PriceTable, item: PriceItem, quantity: number): number {
  const entry = table.items[item];
  return (entry.usd / entry.per) * quantity;
}

/**
 * Storage of `bytes` for the retention period: S3 Standard until the archive transition, Glacier
 * Instant Retrieval after it (one lifecycle transition per object is counted in `s3`).
 *
 * @example
 * ```ts
 * storageCost(table, 3_000_000, { years: 5, archiveAfterDays: 90, logRetentionDays: 30 });
 * ```
 */
export function storageCost(table: PriceTable, bytes: number, plan: StoragePlan): number {
  const totalMonths = plan.years * 12;
  const standardMonths = Math.min(totalMonths, plan.archiveAfterDays / DAYS_PER_MONTH);
  const archiveMonths = Math.max(0, totalMonths - standardMonths);
  const gb = bytes / GB;
  return (
    price(table, 's3StandardGbMonth', gb * standardMonths) + price(table, 's3GlacierIrGbMonth', gb * archiveMonths)
  );
}

/**
 * Cost of one verification along `path`.
 *
 * @example
 * ```ts
 * const cost = pathCost(table, 'approvedBasic', usage.paths.approvedBasic!, plan);
 * console.log(cost.totalExcludingLivenessUsd);
 * ```
 */
export function pathCost(table: PriceTable, path: CostPath, usage: PathUsage, plan: StoragePlan): PathCost {
  const gbSeconds = usage.lambda.reduce((sum, fn) => sum + (fn.memoryMb / 1024) * (fn.durationMs / 1000), 0);
  const invocations = usage.lambda.reduce((sum, fn) => sum + fn.invocations, 0);
  const logGb = usage.logBytes / GB;
  const storageUsd = storageCost(table, usage.storedBytes, plan);
  const livenessUsd = price(table, 'rekognitionFaceLiveness', usage.livenessChecks);
  const lines: CostLine[] = [
    { item: 'Rekognition images', usd: price(table, 'rekognitionImage', usage.rekognitionImages) },
    { item: 'Rekognition Face Liveness', usd: livenessUsd },
    { item: 'Textract', usd: price(table, 'textractPage', usage.textractPages) },
    { item: 'Step Functions transitions', usd: price(table, 'stepFunctionsTransition', usage.stateTransitions) },
    {
      item: 'Lambda (GB-s + requests)',
      usd: price(table, 'lambdaGbSecondArm', gbSeconds) + price(table, 'lambdaRequest', invocations),
    },
    {
      item: 'DynamoDB request units',
      usd:
        price(table, 'dynamodbReadUnit', usage.dynamodb.readUnits) +
        price(table, 'dynamodbWriteUnit', usage.dynamodb.writeUnits),
    },
    {
      item: 'S3 requests',
      usd:
        price(table, 's3PutRequest', usage.s3.putRequests) +
        price(table, 's3GetRequest', usage.s3.getRequests) +
        price(table, 's3LifecycleTransition', usage.s3.lifecycleTransitions),
    },
    { item: `S3 storage ${plan.years} years`, usd: storageUsd },
    { item: 'KMS requests', usd: price(table, 'kmsRequest', usage.kmsRequests) },
    {
      item: 'CloudWatch Logs',
      usd:
        price(table, 'cloudwatchLogsIngestGb', logGb) +
        price(table, 'cloudwatchLogsStoredGbMonth', logGb * (plan.logRetentionDays / DAYS_PER_MONTH)),
    },
    { item: 'EventBridge events', usd: price(table, 'eventBridgeEvent', usage.events) },
  ];
  const totalUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  return {
    path,
    lines,
    totalUsd,
    livenessUsd,
    totalExcludingLivenessUsd: totalUsd - livenessUsd,
    retriesWorstCaseUsd: price(table, 'stepFunctionsTransition', usage.retryTransitionsWorstCase),
    storageUsd,
  };
}

/** Goal of the project: an approved Basic verification, liveness aside, at most this much. */
export const APPROVED_BASIC_GOAL_USD = 0.01;
