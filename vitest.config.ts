import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests share two cores with servers they start: keep parallelism modest.
    maxWorkers: 2,
  },
});
