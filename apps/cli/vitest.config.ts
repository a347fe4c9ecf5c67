import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The suites start brokers and run the built CLI as child processes: one file at a time.
    fileParallelism: false,
  },
});
