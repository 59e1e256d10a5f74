import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start their own fake servers on 127.0.0.1; none reaches the internet.
    env: { LOG_LEVEL: 'silent' },
  },
});
