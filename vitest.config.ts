import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One run covers every kind of test: unit, CDK assertions, integration against the local
// servers, end-to-end through the HTTP API, and the real-browser tests of the pages.
// At least two files at a time, even on two cores: most end-to-end time is spent waiting on
// DynamoDB Local, the browser or the workflow, not on the CPU (vitest's default would be one).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
    setupFiles: ['test/setup.ts'],
  },
});
