import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suites are long (minutes): `npm run test:reliability` runs them.
    exclude: [...configDefaults.exclude, 'test/reliability/**'],
    // Two cores here: real servers and SQLite files per test file, so keep parallelism modest.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
