import { defineConfig } from 'vitest/config';

// Heavy tests kept out of `npm test` (see test/stress/): `npm run test:stress`.
export default defineConfig({
  test: {
    include: ['test/stress/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
  },
});
