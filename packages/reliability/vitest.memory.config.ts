import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.ts';

/**
 * The memory suite: heap measurements need `global.gc`, so its files run in child processes started with
 * --expose-gc (a V8 flag: worker threads cannot take it), one file at a time so no other test shares the heap.
 */
export default defineProject({
  resolve: { alias: workspaceAliases() },
  test: {
    name: 'memory',
    include: ['test/memory/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    maxWorkers: 1,
    testTimeout: 300_000,
    sequence: { groupOrder: 2 },
  },
});
