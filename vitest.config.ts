import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test files that measure real time on this machine (A/V sync within 50 ms at the page's output):
 * they run on their own, never alongside another file, so that the other worker's servers, guests and browsers do
 * not take the CPU they measure with (on a 2-core CI machine the other file can be a QEMU guest
 * under TCG at raised priority, test/peers/guest.ts).
 */
const ALONE = ['test/e2e/av-sync-chromium.test.ts'];

export default defineConfig({
  resolve: {
    // The page's worklet takes opus-decoder's decoder file alone, which the package's exports do
    // not name (scripts/build.mjs resolves it the same way for the worklet's bundle).
    alias: { 'opus-decoder/src/OpusDecoder.js': fileURLToPath(new URL('node_modules/opus-decoder/src/OpusDecoder.js', import.meta.url)) },
  },
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers are started per test file; two cores, so keep the pool small.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: ALONE,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
