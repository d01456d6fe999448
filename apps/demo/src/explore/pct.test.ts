import { describe, expect, it } from 'vitest';
import { explorePct, exploreSystematic } from './explore.ts';
import { formatReport } from './format.ts';
import { pctGuarantee } from './pct.ts';
import { replay } from './schedule.ts';
import { bruteForce } from './test-support.ts';
import { createSystem } from './toys/program.mjs';

describe('PCT', () => {
  it('finds the lost update with high probability over 1,000 runs, with a schedule that replays to it', () => {
    const system = createSystem({ program: 'lost-update' });
    const report = explorePct(system, { seed: 7 });
    expect(report).toMatchObject({ mode: 'pct', runs: 1000, depth: 3, tasks: 2, executions: 1000 });
    const lost = report.classes.find((c) => c.key === 'x=1');
    expect(lost).toBeDefined();
    // A depth-2 bug of 2 tasks: it is hit in a good share of the runs, not once by luck.
    expect(lost?.count).toBeGreaterThan(100);
    for (const c of report.classes) expect(replay(system, c.schedule).key).toBe(c.key);
    for (let seed = 0; seed < 20; seed++)
      expect(
        explorePct(system, { seed, runs: 100 }).classes.some((c) => c.key === 'x=1'),
        `seed ${seed}`,
      ).toBe(true);
  });

  it('is deterministic for a seed, and another seed gives other runs', () => {
    const rmw = [{ op: 'read', v: 'x' }, { op: 'local' }, { op: 'writeInc', v: 'x' }] as const;
    const system = createSystem({ tasks: { A: rmw, B: rmw, C: rmw } });
    const a = JSON.stringify(explorePct(system, { seed: 3, runs: 300 }));
    expect(JSON.stringify(explorePct(system, { seed: 3, runs: 300 }))).toBe(a);
    const counts = (seed: number) =>
      explorePct(system, { seed, runs: 300 })
        .classes.map((c) => c.count)
        .join();
    expect(new Set([1, 2, 3, 4, 5].map(counts)).size).toBeGreaterThan(1);
  });

  it('finds the ABBA deadlock and never a lost update under the lock', () => {
    const abba = explorePct(createSystem({ program: 'abba' }), { runs: 200 });
    expect(abba.classes.some((c) => c.key.startsWith('deadlock'))).toBe(true);
    const locked = explorePct(createSystem({ program: 'locked-update' }), { runs: 200 });
    expect(locked.classes.map((c) => c.key)).toEqual(['x=2']);
  });

  it("reports the paper's guarantee with n and k filled in", () => {
    const report = explorePct(createSystem({ program: 'lost-update' }), { runs: 1000 });
    // The default schedule A A B B has k = 2 decisions (points with two enabled tasks); n = 2.
    expect(report).toMatchObject({ tasks: 2, steps: 2 });
    expect(report.perRunProbability).toBeCloseTo(1 / (2 * 2 ** 2));
    expect(report.overallProbability).toBeCloseTo(1 - (1 - 1 / 8) ** 1000);
    expect(formatReport(report)).toContain('1/(n*k^(d-1)) = 12.5 %');
    expect(pctGuarantee(3, 10, 3, 100).perRun).toBeCloseTo(1 / 300);
    expect(pctGuarantee(3, 10, 3, 100).overall).toBeCloseTo(1 - (1 - 1 / 300) ** 100);
  });

  it('with depth 1 (no change points) runs the highest-priority task to the end: one task after the other', () => {
    const report = explorePct(createSystem({ program: 'lost-update' }), { depth: 1, runs: 200 });
    expect(report.classes.map((c) => c.key)).toEqual(['x=2']);
    for (const c of report.classes) expect(['A A B B', 'B B A A']).toContain(c.schedule.join(' '));
  });
});

describe('PCT with maxSteps', () => {
  it('cuts runs longer than maxSteps and counts them, classifying none', () => {
    const report = explorePct(createSystem({ independent: [2, 3] }), { runs: 60, maxSteps: 3 });
    expect(report).toMatchObject({ executions: 0, depthCuts: 60, classes: [] });
  });
});

describe('PCT with a task that starts during some runs only', () => {
  // B starts D only if x is still 0: the first run (A A B) never sees D, so PCT meets it mid-run in the runs where
  // B goes first, and gives it a random task's priority.
  const spawning = {
    tasks: {
      A: [
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
      ],
      B: [
        { op: 'spawnIf', task: 'D', v: 'x', value: 0 },
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
      ],
      D: [
        { op: 'read', v: 'x' },
        { op: 'writeInc', v: 'x' },
      ],
    },
    later: ['D'],
  } as const;

  it('finds only outcomes that exist, every one of them over 1,000 runs, the same for a seed', () => {
    const system = createSystem(spawning);
    const all = new Set(bruteForce(system).map((e) => e.key));
    const report = explorePct(system, { seed: 5 });
    expect(report.tasks).toBe(2);
    expect([...all].sort()).toEqual(['x=1', 'x=2', 'x=3']);
    expect(new Set(report.classes.map((c) => c.key))).toEqual(all);
    for (const c of report.classes) expect(replay(system, c.schedule).key).toBe(c.key);
    expect(JSON.stringify(explorePct(system, { seed: 5 }))).toBe(JSON.stringify(report));
    expect(
      new Set(exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY }).classes.map((c) => c.key)),
    ).toEqual(all);
  });
});
