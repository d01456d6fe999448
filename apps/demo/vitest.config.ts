import { availableParallelism } from 'node:os';
import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.ts';

export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'demo',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    // The scenario fuzz suite is four files of 2,500 runs: two workers even on a two-core machine, where vitest's
    // default (cores - 1) would run them one after the other. A project with its own maxWorkers runs in a group of
    // its own (vitest requires it), after the packages'.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { groupOrder: 1 },
  },
});
