import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exploreSystematic } from './explore.ts';
import { replay } from './schedule.ts';
import { bruteForce } from './test-support.ts';
import { createSystem, type ToyProgram, type ToyStep } from './toys/program.mjs';

/** Small programs: 2 or 3 tasks of 1 to 3 steps over two variables, some steps touching nothing shared. */
const step: fc.Arbitrary<ToyStep> = fc.oneof(
  fc.record({ op: fc.constant('read' as const), v: fc.constantFrom('x', 'y') }),
  fc.record({ op: fc.constant('writeInc' as const), v: fc.constantFrom('x', 'y') }),
  fc.record({ op: fc.constant('add' as const), v: fc.constantFrom('x', 'y'), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('set' as const), v: fc.constantFrom('x', 'y'), value: fc.integer({ min: 0, max: 3 }) }),
  fc.constant({ op: 'local' as const }),
);
const program: fc.Arbitrary<ToyProgram> = fc
  .array(fc.array(step, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 })
  .map((tasks) => ({ tasks: Object.fromEntries(tasks.map((steps, i) => [`T${i}`, steps])) }));

describe('systematic mode, properties over random small programs', () => {
  it('with sleep sets and no bound finds exactly the outcome classes brute-force enumeration finds', () => {
    fc.assert(
      fc.property(program, (p) => {
        const system = createSystem(p);
        const expected = new Set(bruteForce(system).map((e) => e.key));
        const report = exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY });
        expect(report.complete).toBe(true);
        expect(new Set(report.classes.map((c) => c.key))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('never runs more executions with sleep sets than without, and every class it reports replays', () => {
    fc.assert(
      fc.property(program, fc.constantFrom(0, 1, 2, Number.POSITIVE_INFINITY), (p, bound) => {
        const system = createSystem(p);
        const reduced = exploreSystematic(system, { preemptionBound: bound });
        const full = exploreSystematic(system, { preemptionBound: bound, sleepSets: false });
        expect(reduced.executions).toBeLessThanOrEqual(full.executions);
        for (const c of reduced.classes) expect(replay(system, c.schedule).key).toBe(c.key);
        // Without sleep sets the bounded search is exact: the classes of the schedules within the bound.
        const within = new Set(
          bruteForce(system)
            .filter((e) => e.preemptions <= bound)
            .map((e) => e.key),
        );
        expect(new Set(full.classes.map((c) => c.key))).toEqual(within);
        for (const c of reduced.classes) expect(within.has(c.key)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
