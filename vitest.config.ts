import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    setupFiles: ['test/setup/event-loop-turn.ts'],
    // Tests switch the process-wide backend and ISA: run files one after another.
    fileParallelism: false,
  },
});
