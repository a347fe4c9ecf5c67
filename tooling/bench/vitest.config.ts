import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // The harness test starts servers and client processes: one file at a time.
    fileParallelism: false,
  },
});
