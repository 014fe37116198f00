import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The command line as a user runs it: `node bin/kyc.mjs` is what `npx kyc` executes.
const KYC = join(process.cwd(), 'bin', 'kyc.mjs');
const dir = mkdtempSync(join(tmpdir(), 'kyc-cost-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kyc(args: readonly string[]) {
  const run = spawnSync(process.execPath, [KYC, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface CostJson {
  prices: { region: string; source: string; date: string };
  usage: { measuredAt: string; machine: string };
  storagePlan: { years: number; archiveAfterDays: number };
  paths: {
    path: string;
    totalUsd: number;
    totalExcludingLivenessUsd: number;
    livenessUsd: number;
    lines: { item: string; usd: number }[];
  }[];
  goal: { approvedBasicExcludingLivenessUsd: number; met: boolean | null };
  commercial: { lowUsd: number; highUsd: number };
}

describe('kyc cost', () => {
  it('prints every path as JSON from the committed price table and measured usage', () => {
    // Act
    const run = kyc(['cost', '--json']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const body = JSON.parse(run.stdout) as CostJson;
    expect(body.prices).toMatchObject({ region: 'eu-west-1' });
    expect(body.prices.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(body.paths.map((path) => path.path)).toEqual([
      'approvedBasic',
      'rejectedAtGate',
      'rejectedAfterChecks',
      'manualReview',
      'advanced',
    ]);
    for (const path of body.paths) {
      expect(path.totalUsd).toBeCloseTo(path.totalExcludingLivenessUsd + path.livenessUsd, 12);
      expect(path.lines.reduce((sum, line) => sum + line.usd, 0)).toBeCloseTo(path.totalUsd, 12);
    }
    expect(body.goal.approvedBasicExcludingLivenessUsd).toBe(0.01);
    expect(body.commercial).toMatchObject({ lowUsd: 0.8, highUsd: 1.89 });
    expect(body.storagePlan.years).toBeGreaterThanOrEqual(5);
  });

  it('prints a table beside the commercial prices', () => {
    // Act
    const run = kyc(['cost']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Approved (Basic)');
    expect(run.stdout).toContain('$0.80-$1.89');
  });

  it.each([
    [
      'a price table without a date',
      (prices: Record<string, unknown>) => Object.assign(prices, { date: 'yesterday' }),
      /invalid price table .*date/,
    ],
    [
      'a price table missing KMS',
      (prices: Record<string, unknown>) => delete (prices.items as Record<string, unknown>).kmsRequest,
      /invalid price table .*items\.kmsRequest/,
    ],
  ])('refuses %s with exit code 2', (_name, spoil, message) => {
    // Prepare
    const prices = JSON.parse(readFileSync('local/cost/prices-eu-west-1.json', 'utf8')) as Record<string, unknown>;
    spoil(prices);
    const file = join(dir, `prices-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(prices));

    // Act
    const run = kyc(['cost', '--json', '--prices', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
