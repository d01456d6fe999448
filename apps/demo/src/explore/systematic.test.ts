import { describe, expect, it } from 'vitest';
import { exploreSystematic } from './explore.ts';
import { replay } from './schedule.ts';
import { autoFrontier, UNITS_WANTED } from './systematic.ts';
import { bruteForce } from './test-support.ts';
import { createSystem, PROGRAMS } from './toys/program.mjs';
import type { ExploredSystem, SystematicReport } from './types.ts';

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Every class's reported schedule replays to that class. */
function expectReplays<O>(system: ExploredSystem<O>, report: SystematicReport): void {
  for (const c of report.classes) expect(replay(system, c.schedule).key).toBe(c.key);
}

describe('systematic mode on toy systems with known answers', () => {
  it('finds the lost update of two unlocked read-increment-writes, with a schedule that replays to it', () => {
    const system = createSystem({ program: 'lost-update' });
    const report = exploreSystematic(system);
    expect(report.complete).toBe(true);
    expect(report.classes.map((c) => c.key).sort()).toEqual(['x=1', 'x=2']);
    const lost = report.classes.find((c) => c.key === 'x=1');
    // The first in depth-first order: A starts, B preempts it after its read and, running on, writes first.
    expect(lost?.schedule).toEqual(['A', 'B', 'B', 'A']);
    expectReplays(system, report);
  });

  it('finds no lost update when the increments hold a lock', () => {
    const system = createSystem({ program: 'locked-update' });
    const report = exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY });
    expect(report.complete).toBe(true);
    expect(report.classes.map((c) => c.key)).toEqual(['x=2']);
    expect(report.preemptionBound).toBeNull();
  });

  it('finds the ABBA deadlock, says who waits for what, and its schedule replays to it', () => {
    const system = createSystem({ program: 'abba' });
    const report = exploreSystematic(system);
    const deadlock = report.classes.find((c) => c.key.startsWith('deadlock'));
    expect(deadlock?.key).toBe('deadlock: A waits for L2 held by B; B waits for L1 held by A');
    expect(deadlock?.schedule).toEqual(['A', 'B']);
    expect(report.classes[0]?.key).toBe('(no variables)');
    expectReplays(system, report);
  });

  it('with sleep sets runs independent tasks once; without, every interleaving (the binomial)', () => {
    const system = createSystem({ independent: [2, 3] });
    const reduced = exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY });
    expect(reduced.executions).toBe(1);
    expect(reduced.sleepSetCuts).toBeGreaterThan(0);
    expect(reduced.complete).toBe(true);
    const full = exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY, sleepSets: false });
    expect(full.executions).toBe(binomial(6, 3));
    expect(full.sleepSetCuts).toBe(0);
    const three = exploreSystematic(createSystem({ independent: [3, 2] }), {
      preemptionBound: Number.POSITIVE_INFINITY,
      sleepSets: false,
    });
    expect(three.executions).toBe(binomial(6, 2) * binomial(4, 2));
  });

  it('counts executions under preemption bounds 0, 1, 2 as worked out by hand for two tasks of two steps', () => {
    // AABB and BBAA use no preemption; ABBA and BAAB one; ABAB and BABA two (the first choice is never one).
    const system = createSystem({ independent: [2, 2] });
    const counts = [0, 1, 2].map((b) => exploreSystematic(system, { preemptionBound: b, sleepSets: false }).executions);
    expect(counts).toEqual([2, 4, 6]);
    const bounded = exploreSystematic(system, { preemptionBound: 0, sleepSets: false });
    expect(bounded.preemptionCuts).toBeGreaterThan(0);
    expect(exploreSystematic(system, { preemptionBound: 2, sleepSets: false }).preemptionCuts).toBe(0);
  });

  it('counts executions under every bound as a brute-force enumeration does, for the three toy programs', () => {
    for (const name of Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[]) {
      const system = createSystem({ program: name });
      const all = bruteForce(system);
      for (const bound of [0, 1, 2, 3, Number.POSITIVE_INFINITY]) {
        const report = exploreSystematic(system, { preemptionBound: bound, sleepSets: false });
        expect(report.executions, `${name}, bound ${bound}`).toBe(all.filter((e) => e.preemptions <= bound).length);
      }
    }
  });

  it('reports each class with its count and its first schedule in depth-first order', () => {
    const system = createSystem({ program: 'lost-update' });
    const report = exploreSystematic(system, { sleepSets: false, preemptionBound: Number.POSITIVE_INFINITY });
    const all = bruteForce(system);
    expect(report.executions).toBe(all.length);
    for (const c of report.classes) expect(c.count).toBe(all.filter((e) => e.key === c.key).length);
    // The first run is the non-preemptive default; x=2 is its class.
    expect(report.classes[0]).toMatchObject({ key: 'x=2', first: 0, schedule: ['A', 'A', 'B', 'B'] });
  });

  it('gives the same report whatever the split depth (the units rebuild one depth-first search)', () => {
    for (const args of [{ program: 'abba' }, { program: 'lost-update' }, { independent: [3, 2] }] as const) {
      const system = createSystem(args);
      for (const options of [
        {},
        { sleepSets: false },
        { preemptionBound: 1 },
        { preemptionBound: Number.POSITIVE_INFINITY },
        { limit: 7 },
      ]) {
        // undefined: the automatic depth (the least giving 64 units).
        const reports = [undefined, 0, 1, 2, 3, 6, 20].map((splitDepth) =>
          JSON.stringify(exploreSystematic(system, splitDepth === undefined ? options : { ...options, splitDepth })),
        );
        for (const r of reports) expect(r, JSON.stringify({ args, options })).toBe(reports[0]);
      }
    }
  });

  it('splits at the least depth that gives enough units, the same for every call', () => {
    const system = createSystem({ independent: [3, 3] });
    const settings = { bound: Number.POSITIVE_INFINITY, sleepSets: false, maxSteps: 100, limit: 10_000 };
    const f = autoFrontier(system, settings);
    // 3 tasks: 3, 9, 27, then 3^4 - 3 = 78 prefixes of length 4 (no task has a 4th step).
    expect(f.units.length).toBe(78);
    expect(f.units.length).toBeGreaterThanOrEqual(UNITS_WANTED);
    expect(f.units.every((u) => u.prefix.length === 4)).toBe(true);
    expect(JSON.stringify(autoFrontier(system, settings))).toBe(JSON.stringify(f));
    // A tree smaller than the target: every unit is a whole execution, in depth-first order (default first).
    const small = autoFrontier(createSystem({ program: 'lost-update' }), settings);
    expect(small.units.map((u) => u.prefix.join(''))).toEqual(['AABB', 'ABBA', 'ABAB', 'BBAA', 'BAAB', 'BABA']);
  });

  it('stops at the limit and says the space was not covered', () => {
    const system = createSystem({ independent: [3, 3] });
    const report = exploreSystematic(system, { limit: 5, sleepSets: false, preemptionBound: Number.POSITIVE_INFINITY });
    expect(report.complete).toBe(false);
    expect(report.executions).toBe(5);
    const exact = exploreSystematic(system, {
      limit: 1680,
      sleepSets: false,
      preemptionBound: Number.POSITIVE_INFINITY,
    });
    expect(exact).toMatchObject({ complete: true, executions: 1680 });
  });

  it('cuts runs longer than maxSteps and counts them', () => {
    const system = createSystem({ independent: [2, 3] });
    const report = exploreSystematic(system, { maxSteps: 4, sleepSets: false });
    expect(report.executions).toBe(0);
    expect(report.depthCuts).toBeGreaterThan(0);
    expect(report.classes).toEqual([]);
  });
});

describe('what a systematic report claims to have covered', () => {
  // Found by property testing: with a finite bound, sleep sets skip T1's write followed by T0's set (x=0), whose
  // only order without preemption runs T1 first, because the equivalent order they keep runs T0's local step
  // first and then needs a preemption.
  const sneaky = {
    tasks: {
      T0: [{ op: 'local' }, { op: 'set', v: 'x', value: 0 }, { op: 'local' }],
      T1: [{ op: 'writeInc', v: 'x' }, { op: 'local' }],
      T2: [{ op: 'local' }],
    },
  } as const;

  it('says "within-bound-reduced", not a proof, when sleep sets meet a bound that cut something', () => {
    const system = createSystem(sneaky);
    const reduced = exploreSystematic(system, { preemptionBound: 0 });
    expect(reduced.coverage).toBe('within-bound-reduced');
    expect(reduced.classes.map((c) => c.key)).toEqual(['x=1']);
    const exact = exploreSystematic(system, { preemptionBound: 0, sleepSets: false });
    expect(exact.coverage).toBe('within-bound');
    expect(exact.classes.map((c) => c.key).sort()).toEqual(['x=0', 'x=1']);
    const unbounded = exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY });
    expect(unbounded.coverage).toBe('every-schedule');
    expect(unbounded.classes.map((c) => c.key).sort()).toEqual(['x=0', 'x=1']);
  });

  it('says "every-schedule" when the bound cut nothing, and "partial" when the limit stopped it', () => {
    expect(exploreSystematic(createSystem({ program: 'lost-update' })).coverage).toBe('every-schedule');
    expect(exploreSystematic(createSystem({ independent: [3, 3] }), { limit: 2, sleepSets: false }).coverage).toBe(
      'partial',
    );
  });
});
