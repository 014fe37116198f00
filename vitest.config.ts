import { defineConfig } from 'vitest/config';

// One run covers every kind of test: unit, CDK assertions, integration against the local
// servers, end-to-end through the HTTP API, and the real-browser test of the upload page.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
  },
});
