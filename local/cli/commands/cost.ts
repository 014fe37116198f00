/**
 * `kyc cost [--json] [--prices FILE] [--usage FILE]`: what one verification costs on AWS, per
 * path, from a price table (default `local/cost/prices-eu-west-1.json`, which names its source
 * and date) and the usage measured by `npm run bench` through the local runtime (default
 * `local/cost/usage.json`, committed from the last full run).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APPROVED_BASIC_GOAL_USD,
  PATHS,
  pathCost,
  priceTableSchema,
  usageFileSchema,
  type PathCost,
  type PriceTable,
  type UsageFile,
} from '../../cost/model.ts';
import { parseCommandArgs } from '../args.ts';
import { EXIT, UsageError, type CliIo } from '../io.ts';

export const DEFAULT_PRICES = fileURLToPath(new URL('../../cost/prices-eu-west-1.json', import.meta.url));
export const DEFAULT_USAGE = fileURLToPath(new URL('../../cost/usage.json', import.meta.url));

export const COST_USAGE = `Usage: kyc cost [--json] [--prices FILE] [--usage FILE]

Cost of one verification on AWS for each path (approved Basic, rejected at the gate, rejected
after checks, manual review, Advanced), from a price table (default: eu-west-1 list prices,
local/cost/prices-eu-west-1.json) and the usage measured through the local runtime by
"npm run bench" (default: local/cost/usage.json). --json prints the figures as JSON.`;

const LABELS: Record<(typeof PATHS)[number], string> = {
  approvedBasic: 'Approved (Basic)',
  rejectedAtGate: 'Rejected at the quality gate',
  rejectedAfterChecks: 'Rejected after checks',
  manualReview: 'Manual review (reviewer approves)',
  advanced: 'Advanced',
};

async function readJson<T>(file: string, what: string, parse: (value: unknown) => T): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return parse(JSON.parse(text));
  } catch (error) {
    const detail =
      error instanceof Error && 'issues' in error
        ? (error as { issues: { path: PropertyKey[]; message: string }[] }).issues
            .slice(0, 5)
            .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
            .join('; ')
        : (error as Error).message;
    throw new UsageError(`invalid ${what} ${file}: ${detail}`);
  }
}

const usd = (value: number): string => (value >= 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(5)}`);

/** Costs of every measured path. */
export function costReport(prices: PriceTable, usage: UsageFile): PathCost[] {
  return PATHS.flatMap((path) => {
    const measured = usage.paths[path];
    return measured ? [pathCost(prices, path, measured, usage.storagePlan)] : [];
  });
}

/** Runs `kyc cost`; resolves to the exit code. */
export async function costCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    json: { type: 'boolean' },
    prices: { type: 'string' },
    usage: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(COST_USAGE);
    return EXIT.ok;
  }
  const pricesFile = values.prices ? resolve(io.cwd, values.prices) : DEFAULT_PRICES;
  const usageFile = values.usage ? resolve(io.cwd, values.usage) : DEFAULT_USAGE;
  const prices = await readJson(pricesFile, 'price table', (value) => priceTableSchema.parse(value));
  const usage = await readJson(usageFile, 'usage file', (value) => usageFileSchema.parse(value));
  const costs = costReport(prices, usage);
  const approved = costs.find((cost) => cost.path === 'approvedBasic');
  const goalMet = approved ? approved.totalExcludingLivenessUsd <= APPROVED_BASIC_GOAL_USD : null;
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          prices: { region: prices.region, source: prices.source, date: prices.date },
          usage: { measuredAt: usage.measuredAt, machine: usage.machine, how: usage.how },
          storagePlan: usage.storagePlan,
          paths: costs.map((cost) => ({
            path: cost.path,
            totalUsd: cost.totalUsd,
            totalExcludingLivenessUsd: cost.totalExcludingLivenessUsd,
            livenessUsd: cost.livenessUsd,
            storageUsd: cost.storageUsd,
            retriesWorstCaseUsd: cost.retriesWorstCaseUsd,
            lines: cost.lines,
          })),
          goal: { approvedBasicExcludingLivenessUsd: APPROVED_BASIC_GOAL_USD, met: goalMet },
          commercial: prices.commercial,
        },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  io.out(`Cost per verification on AWS (${prices.region}, list prices of ${prices.date}; ${prices.source})`);
  io.out(`Usage measured ${usage.measuredAt} on ${usage.machine || 'an unnamed machine'}\n`);
  const width = Math.max(...costs.map((cost) => LABELS[cost.path].length));
  io.out(
    `${'Path'.padEnd(width)}  ${'without liveness'.padStart(16)}  ${'liveness'.padStart(9)}  ${'total'.padStart(9)}  ${'of which storage'.padStart(16)}  retries (worst, extra)`,
  );
  for (const cost of costs) {
    io.out(
      `${LABELS[cost.path].padEnd(width)}  ${usd(cost.totalExcludingLivenessUsd).padStart(16)}  ${usd(cost.livenessUsd).padStart(9)}  ${usd(cost.totalUsd).padStart(9)}  ${usd(cost.storageUsd).padStart(16)}  +${usd(cost.retriesWorstCaseUsd)}`,
    );
  }
  if (approved) {
    io.out(`\nApproved Basic, line by line:`);
    for (const line of approved.lines) io.out(`  ${line.item.padEnd(28)} ${usd(line.usd)}`);
    io.out(
      `\nGoal: <= ${usd(APPROVED_BASIC_GOAL_USD)} per approved Basic verification without liveness: ${goalMet ? 'met' : 'NOT met'}.`,
    );
  }
  io.out(
    `Commercial identity verification: $${prices.commercial.lowUsd.toFixed(2)}-$${prices.commercial.highUsd.toFixed(2)} per verification (${prices.commercial.source}).`,
  );
  return EXIT.ok;
}
