import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PATHS,
  pathCost,
  priceTableSchema,
  storageCost,
  usageFileSchema,
  type PathUsage,
  type PriceTable,
} from '../../../local/cost/model.ts';

const table = priceTableSchema.parse(JSON.parse(readFileSync('local/cost/prices-eu-west-1.json', 'utf8')));
const plan = { years: 5, archiveAfterDays: 90, logRetentionDays: 365 };

const idle: PathUsage = {
  rekognitionImages: 0,
  livenessChecks: 0,
  textractPages: 0,
  stateTransitions: 0,
  retryTransitionsWorstCase: 0,
  lambda: [],
  dynamodb: { readUnits: 0, writeUnits: 0 },
  s3: { putRequests: 0, getRequests: 0, lifecycleTransitions: 0 },
  storedBytes: 0,
  kmsRequests: 0,
  logBytes: 0,
  events: 0,
};

function lineOf(usage: PathUsage, item: string): number {
  return pathCost(table, 'approvedBasic', usage, plan).lines.find((line) => line.item.startsWith(item))?.usd ?? NaN;
}

describe('price table', () => {
  it('names its source and date and prices every item the model needs', () => {
    // Prepare
    const raw = JSON.parse(readFileSync('local/cost/prices-eu-west-1.json', 'utf8')) as PriceTable;

    // Act
    const parsed = priceTableSchema.safeParse(raw);

    // Assess
    expect(parsed.success).toBe(true);
    expect(raw.source).toMatch(/aws\.amazon\.com/);
    expect(raw.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it.each([
    ['a missing item', (t: PriceTable) => ({ ...t, items: { ...t.items, kmsRequest: undefined } })],
    [
      'a negative price',
      (t: PriceTable) => ({ ...t, items: { ...t.items, kmsRequest: { ...t.items.kmsRequest, usd: -1 } } }),
    ],
    ['no date', (t: PriceTable) => ({ ...t, date: '' })],
    ['no source', (t: PriceTable) => ({ ...t, source: '' })],
    [
      'a zero "per" quantity',
      (t: PriceTable) => ({ ...t, items: { ...t.items, s3GetRequest: { ...t.items.s3GetRequest, per: 0 } } }),
    ],
  ])('refuses a table with %s', (_name, spoil) => {
    // Prepare
    const spoiled = spoil(table);

    // Act
    const parsed = priceTableSchema.safeParse(spoiled);

    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe('pathCost', () => {
  it('is zero for no usage', () => {
    // Act
    const cost = pathCost(table, 'approvedBasic', idle, plan);

    // Assess
    expect(cost.totalUsd).toBe(0);
    expect(cost.retriesWorstCaseUsd).toBe(0);
  });

  it.each([
    ['Rekognition images', { rekognitionImages: 10 }, 10 * 0.001],
    ['Rekognition Face Liveness', { livenessChecks: 1 }, 0.015],
    ['Step Functions', { stateTransitions: 40 }, 40 * 0.000025],
    ['KMS', { kmsRequests: 10_000 }, 0.03],
    ['EventBridge', { events: 1_000_000 }, 1],
  ] as const)('prices %s per unit of the table', (item, usage, expected) => {
    // Act
    const usd = lineOf({ ...idle, ...usage }, item);

    // Assess
    expect(usd).toBeCloseTo(expected, 10);
  });

  it('prices Lambda by GB-seconds of configured memory and measured time, plus requests', () => {
    // Prepare: 2 s at 1536 MB and 1 s at 512 MB = 3.5 GB-s, 3 requests.
    const usage = {
      ...idle,
      lambda: [
        { functionName: 'OnUpload', memoryMb: 1536, durationMs: 2000, invocations: 2 },
        { functionName: 'Decide', memoryMb: 512, durationMs: 1000, invocations: 1 },
      ],
    };

    // Act
    const usd = lineOf(usage, 'Lambda');

    // Assess
    expect(usd).toBeCloseTo(3.5 * 0.0000133334 + 3 * 0.0000002, 12);
  });

  it('prices DynamoDB reads and writes apart', () => {
    // Act
    const usd = lineOf({ ...idle, dynamodb: { readUnits: 1_000_000, writeUnits: 1_000_000 } }, 'DynamoDB');

    // Assess
    expect(usd).toBeCloseTo(0.1413 + 0.7068, 10);
  });

  it('keeps liveness and retries apart from the total without liveness', () => {
    // Prepare
    const usage = { ...idle, rekognitionImages: 5, livenessChecks: 1, retryTransitionsWorstCase: 100 };

    // Act
    const cost = pathCost(table, 'approvedBasic', usage, plan);

    // Assess
    expect(cost.livenessUsd).toBeCloseTo(0.015, 10);
    expect(cost.totalExcludingLivenessUsd).toBeCloseTo(0.005, 10);
    expect(cost.totalUsd).toBeCloseTo(0.02, 10);
    expect(cost.retriesWorstCaseUsd).toBeCloseTo(100 * 0.000025, 10);
  });
});

describe('storageCost', () => {
  it('charges S3 Standard until the archive transition, then Glacier Instant Retrieval', () => {
    // Prepare: 1 GB for 5 years, archived after 90 days (2.957 months).
    const months = 90 / (365.25 / 12);

    // Act
    const usd = storageCost(table, 1024 ** 3, plan);

    // Assess
    expect(usd).toBeCloseTo(0.023 * months + 0.004 * (60 - months), 10);
  });

  it('keeps everything in S3 Standard when nothing is archived within the retention', () => {
    // Act
    const usd = storageCost(table, 1024 ** 3, { years: 1, archiveAfterDays: 400, logRetentionDays: 30 });

    // Assess
    expect(usd).toBeCloseTo(0.023 * 12, 10);
  });
});

describe('committed usage file', () => {
  it('holds a measured usage for every path', () => {
    // Act
    const usage = usageFileSchema.parse(JSON.parse(readFileSync('local/cost/usage.json', 'utf8')));

    // Assess
    expect(Object.keys(usage.paths).sort()).toEqual([...PATHS].sort());
    expect(usage.paths.approvedBasic?.stateTransitions).toBeGreaterThan(0);
    expect(usage.paths.approvedBasic?.dynamodb.writeUnits).toBeGreaterThan(0);
  });
});
