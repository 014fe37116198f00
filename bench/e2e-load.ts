/**
 * The e2e benchmark's load pass as a program of its own (see `runLoadPass` in `bench/e2e.ts`):
 * a fresh local runtime in this process, its handlers straight at the local AWS servers as
 * `npm start` runs them, and concurrent frontends. `runE2e` starts it; prints the figures as
 * one line after `LOAD_FIGURES_PREFIX`, progress on stderr.
 *
 *   node --import tsx bench/e2e-load.ts --verifications=50 --clients=4 --poll-ms=250
 */
import '../local/polyfills.ts';
import { LOAD_FIGURES_PREFIX, LOAD_POLL_INTERVAL_MS, runLoadPass } from './e2e.ts';

const option = (name: string, fallback: number): number => {
  const raw = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
};

const figures = await runLoadPass({
  verifications: option('verifications', 50),
  clients: option('clients', 4),
  pollIntervalMs: option('poll-ms', LOAD_POLL_INTERVAL_MS),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${LOAD_FIGURES_PREFIX}${JSON.stringify(figures)}\n`);
// The face engine's worker and the runtime's timers are gone with the process.
process.exit(0);
