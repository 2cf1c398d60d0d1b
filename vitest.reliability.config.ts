import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: crash, bad input, faults, security and soak suites
 * (test/reliability). Bounded in time, loopback only; one file at a time so that timings and
 * memory figures are not disturbed by another suite. Knobs: docs/reliability.md.
 */
export default defineConfig({
  test: {
    // The state-file faults also run in `npm test` (a few seconds).
    include: ['test/reliability/**/*.test.ts', 'test/controller/state-file-faults.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
