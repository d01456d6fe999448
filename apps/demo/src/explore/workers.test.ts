import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SimError } from '@sim/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { explorePct, explorePctOnWorkers, exploreSystematic, exploreSystematicOnWorkers } from './explore.ts';
import { formatReport } from './format.ts';
import { liveWorkers } from './pool.ts';
import { FAULTY_MODULE, TOY_MODULE, WORKER_URL } from './test-support.ts';
import { createSystem } from './toys/program.mjs';
import type { ExploreReport } from './types.ts';

function bytes(r: ExploreReport): string {
  return `${JSON.stringify(r)}\n${formatReport(r)}`;
}

beforeAll(() => {
  if (!existsSync(WORKER_URL))
    throw new Error(`${WORKER_URL.pathname} is missing: build the demo first (npx -y pnpm@10.34.9 build)`);
});

describe('exploring on worker threads', () => {
  const cases = [
    { args: { program: 'abba' }, options: {} },
    { args: { program: 'lost-update' }, options: { preemptionBound: Number.POSITIVE_INFINITY } },
    { args: { independent: [3, 2] }, options: { sleepSets: false, splitDepth: 3 } },
    { args: { independent: [3, 3] }, options: { sleepSets: false, limit: 250 } },
  ] as const;

  it('gives byte-identical systematic reports for 1, 2 and 4 workers, and in this thread', async () => {
    for (const { args, options } of cases) {
      const local = bytes(exploreSystematic(createSystem(args), options));
      for (const workers of [0, 1, 2, 4]) {
        const report = await exploreSystematicOnWorkers(
          { module: TOY_MODULE, args },
          { ...options, workers, workerUrl: WORKER_URL },
        );
        expect(bytes(report), `${JSON.stringify(args)} on ${workers} workers`).toBe(local);
        expect(liveWorkers()).toBe(0);
      }
    }
  });

  it('gives byte-identical PCT reports for 1, 2 and 4 workers and the same seed', async () => {
    const args = { program: 'abba' } as const;
    const local = bytes(explorePct(createSystem(args), { seed: 11, runs: 420 }));
    for (const workers of [0, 1, 2, 4]) {
      const report = await explorePctOnWorkers(
        { module: pathToFileURL(TOY_MODULE).href, args },
        { seed: 11, runs: 420, workers, workerUrl: WORKER_URL },
      );
      expect(bytes(report), `${workers} workers`).toBe(local);
    }
  });

  it('reports a worker whose system throws as an error naming the unit, and terminates every worker', async () => {
    const run = exploreSystematicOnWorkers(
      { module: FAULTY_MODULE, args: { fail: 'throw', at: ['A', 'B', 'A'] } },
      { workers: 2, splitDepth: 1, workerUrl: WORKER_URL },
    );
    await expect(run).rejects.toThrow(SimError);
    await expect(run).rejects.toMatchObject({ code: 'SIM_ERR_EXPLORE_WORKER' });
    await expect(run).rejects.toThrow(/unit #0 \(schedule prefix \["A"\]\).*faulty system: schedule A B A/);
    expect(liveWorkers()).toBe(0);
  });

  it('reports a worker that exits as an error naming the unit, never a hang', async () => {
    const run = explorePctOnWorkers(
      { module: FAULTY_MODULE, args: { fail: 'exit', at: ['B', 'A'] } },
      { workers: 2, runs: 200, workerUrl: WORKER_URL },
    );
    await expect(run).rejects.toThrow(/explorer worker \d, exploring unit #\d \(runs \d+\.\.\d+\), exited with code 7/);
    expect(liveWorkers()).toBe(0);
  });

  it('reports a system that cannot be built in a worker, naming the unit', async () => {
    const run = exploreSystematicOnWorkers(
      { module: FAULTY_MODULE, args: { fail: 'create', at: [] } },
      { workers: 1, workerUrl: WORKER_URL },
    );
    await expect(run).rejects.toThrow(/unit #0 .*createSystem refuses/);
    expect(liveWorkers()).toBe(0);
  });

  it('reports a worker entry that does not exist, without starting the search', async () => {
    const run = exploreSystematicOnWorkers(
      { module: TOY_MODULE, args: { program: 'abba' } },
      { workers: 2, workerUrl: new URL('./no-such-worker.js', WORKER_URL) },
    );
    await expect(run).rejects.toMatchObject({ code: 'SIM_ERR_EXPLORE_WORKER' });
  });
});
