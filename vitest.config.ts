import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers are started per test file; two cores, so keep the pool small.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
