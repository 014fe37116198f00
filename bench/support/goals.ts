/**
 * The proof issue's goals for the figures of `npm run bench`, and whether a summary meets them:
 * printed at the end of every summary run and kept in `bench/results.json` under `goals`. Pure
 * (no imports), so the summary can load it first.
 *
 * @example
 * ```ts
 * for (const check of goalChecks(results)) console.log(check.goal, check.measured, check.met);
 * ```
 */

/** What a lean function (no image or model code) may weigh and take to import over a bare Node start. */
export const LEAN_BUDGET = { sizeBytes: 300 * 1024, coldImportMs: 50 } as const;

/** The other goals: the gate against a bare decode, upload to decision, an approved Basic verification. */
export const GOALS = { gateToDecode: 1, e2eP50Ms: 3_000, approvedBasicUsd: 0.01 } as const;

export interface GoalCheck {
  readonly goal: string;
  /** The measured figure, as printed. */
  readonly measured: string;
  /** Undefined when the summary holds no such figure (its phase has never run or failed). */
  readonly met?: boolean;
  /**
   * Bundle goals: what the least handlers built with the app's stack measure in the same run
   * (`bundleBudget.floors`), so a goal the stack itself cannot meet reads as such.
   */
  readonly floor?: string;
}

interface FloorFigures {
  readonly name?: string;
  readonly sizeBytes?: number;
  readonly coldImportMs?: number;
}

interface BundleFigures {
  readonly class?: string;
  readonly sizeBytes?: number;
  readonly coldImportMs?: number | null;
}

const figure = (summary: Record<string, unknown>, part: string, key: string): number | undefined => {
  const value = (summary[part] as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

function check(goal: string, value: number | undefined, limit: number, show: (value: number) => string): GoalCheck {
  return value === undefined
    ? { goal, measured: 'not measured' }
    : { goal, measured: show(value), met: value <= limit };
}

/** Each goal against the summary's figures (`bench/results.json`'s shape). */
export function goalChecks(summary: Record<string, unknown>): GoalCheck[] {
  const checks = [
    check(
      `quality gate <= ${GOALS.gateToDecode}x a bare decode`,
      figure(summary, 'qualityGate', 'ratioToDecode'),
      GOALS.gateToDecode,
      (ratio) => `${ratio}x`,
    ),
    check(
      `upload to decision p50 <= ${GOALS.e2eP50Ms / 1000} s`,
      figure(summary, 'e2e', 'p50Ms'),
      GOALS.e2eP50Ms,
      (ms) => `${(ms / 1000).toFixed(2)} s`,
    ),
    check(
      `approved Basic <= $${GOALS.approvedBasicUsd}`,
      figure(summary, 'cost', 'approvedBasicUsd'),
      GOALS.approvedBasicUsd,
      (usd) => `$${usd}`,
    ),
  ];
  const bundles = Array.isArray(summary.bundles) ? (summary.bundles as BundleFigures[]) : undefined;
  const lean = bundles?.filter((bundle) => bundle.class === 'lean') ?? [];
  const sized = lean.filter((bundle) => (bundle.sizeBytes ?? Infinity) <= LEAN_BUDGET.sizeBytes);
  const both = sized.filter(
    (bundle) => typeof bundle.coldImportMs === 'number' && bundle.coldImportMs <= LEAN_BUDGET.coldImportMs,
  );
  const kb = LEAN_BUDGET.sizeBytes / 1024;
  const budget = summary.bundleBudget as { floors?: unknown } | undefined;
  const floors = Array.isArray(budget?.floors) ? (budget.floors as FloorFigures[]) : [];
  const floorText = (withTime: boolean): string | undefined =>
    floors.length === 0
      ? undefined
      : floors
          .map(
            (floor) =>
              `${floor.name ?? '?'} ${Math.round((floor.sizeBytes ?? 0) / 1024)} KB${withTime ? ` +${floor.coldImportMs ?? '?'} ms` : ''}`,
          )
          .join('; ');
  const allLean = (goal: string, within: number, floor: string | undefined): GoalCheck =>
    lean.length === 0
      ? { goal, measured: 'not measured' }
      : {
          goal,
          measured: `${within} of ${lean.length} lean functions`,
          met: within === lean.length,
          ...(floor ? { floor } : {}),
        };
  checks.push(
    allLean(`every lean function <= ${kb} KB`, sized.length, floorText(false)),
    allLean(
      `every lean function <= ${kb} KB and <= ${LEAN_BUDGET.coldImportMs} ms cold import`,
      both.length,
      floorText(true),
    ),
  );
  return checks;
}
