import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // pcscd suites wait for the machine's one vpcd slot (test/helpers/machine-lock.ts) in beforeAll.
    hookTimeout: 180_000,
    // Integration suites open real TCP ports and spawn processes; keep files isolated.
    pool: 'forks',
    // Two files at a time, on up to two cores: most integration files wait on sockets, child
    // processes and timers, so on a 2-core machine the whole suite took 658 s one file at a time
    // (vitest's default there, cores - 1) and 424 s two at a time. More than two would crowd the
    // CPU-bound suites (the real interpreter, benches) past their timeouts.
    maxWorkers: Math.min(2, os.availableParallelism()),
  },
});
