import { defineConfig } from 'vitest/config';

/** The HTTP and end-to-end suites run a second time on MongoDB read models when MONGODB_URL is set. */
const mongo = process.env.MONGODB_URL?.trim();
if (!mongo) {
  console.warn('[vitest] mongodb-read-models project skipped: MONGODB_URL is not set (see .ci/run)');
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests share two cores with the servers they start: keep parallelism modest.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'embedded', include: ['test/**/*.test.ts'] } },
      ...(mongo
        ? [
            {
              extends: true as const,
              test: {
                name: 'mongodb-read-models',
                include: ['test/http/**/*.test.ts', 'test/projections/**/*.test.ts', 'test/e2e/restart.test.ts', 'test/e2e/separate-processes.test.ts', 'test/e2e/workers.test.ts', 'test/e2e/rebuild-cli.test.ts'],
                env: { TEST_READ_STORE: 'mongodb' },
              },
            },
          ]
        : []),
    ],
  },
});
