import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own child process, so /proc/self/fd belongs to that file alone
    // and the leak check in test/helpers/fd-leak.ts sees only its own sockets.
    pool: 'forks',
    setupFiles: ['test/helpers/fd-leak.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
