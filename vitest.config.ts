import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'packages/reliability/vitest.memory.config.ts',
      'apps/*/vitest.config.ts',
    ],
  },
});
