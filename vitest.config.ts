import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // pcscd suites wait for the machine's one vpcd slot (test/helpers/machine-lock.ts) in beforeAll.
    hookTimeout: 180_000,
    // Integration suites open real TCP ports and spawn processes; keep files isolated.
    pool: 'forks',
  },
});
