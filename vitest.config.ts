import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // In-process tests run the TypeScript sources; spawned processes run the built dist/.
    alias: {
      '@ork/shared': src('./libs/shared/src/index.ts'),
      '@ork/worker': src('./apps/worker/src/index.ts'),
      '@ork/simulator': src('./apps/simulator/src/index.ts'),
      '@ork/api': src('./apps/api/src/index.ts'),
    },
  },
  test: {
    include: ['libs/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Timing-sensitive limit tests must not fight each other for the two cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
