import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Model inference and real collections make some tests take seconds on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // With CI set (.ci/run sets CI=1), a stray `.only` fails the run instead of silently skipping the rest of
    // its file. (vitest's own default is the same, but it reads more variables than CI; this is explicit.)
    ...(process.env.CI ? { allowOnly: false } : {}),
  },
});
