import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration suites open real TCP ports and spawn processes; keep files isolated.
    pool: 'forks',
  },
});
