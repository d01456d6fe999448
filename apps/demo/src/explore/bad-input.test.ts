import { SimError } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { explorePct, exploreSystematic, exploreSystematicOnWorkers } from './explore.ts';
import { replay } from './schedule.ts';
import { TOY_MODULE } from './test-support.ts';
import { createSystem } from './toys/program.mjs';
import type { ExploredSystem, SwitchPoint } from './types.ts';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return SimError.isInstance(e) ? e.code : `not a SimError: ${String(e)}`;
  }
  return undefined;
}

const toy = createSystem({ program: 'lost-update' });

/** A system whose run() calls choose with the given points, then ends with one transition per answer. */
function scripted(points: unknown[], extra: Partial<{ transitions: unknown; classify: unknown }> = {}) {
  return {
    run(choose: (p: SwitchPoint) => string | null) {
      const transitions = [];
      for (const p of points) {
        const c = choose(p as SwitchPoint);
        transitions.push({ task: c, footprint: [] });
      }
      return { transitions: extra.transitions ?? transitions, outcome: 0, aborted: false };
    },
    classify: extra.classify ?? (() => 'k'),
  } as unknown as ExploredSystem<number>;
}

describe('explorer options', () => {
  it.each([
    ['a non-object', 'fast'],
    ['an unknown option', { preemptionbound: 2 }],
    ['a prototype-named key', JSON.parse('{"__proto__": 1}')],
    ['a negative bound', { preemptionBound: -1 }],
    ['a fractional bound', { preemptionBound: 1.5 }],
    ['NaN', { preemptionBound: Number.NaN }],
    ['a string number', { limit: '10' }],
    ['a zero limit', { limit: 0 }],
    ['a non-boolean sleepSets', { sleepSets: 'yes' }],
    ['a huge split depth', { splitDepth: 1000 }],
  ])('refuses %s with SIM_ERR_EXPLORE_BAD_OPTION', (_, options) => {
    expect(code(() => exploreSystematic(toy, options as never))).toBe('SIM_ERR_EXPLORE_BAD_OPTION');
  });

  it.each([
    ['a seed above 2^32-1', { seed: 2 ** 32 }],
    ['a negative seed', { seed: -1 }],
    ['depth 0', { depth: 0 }],
    ['runs 0', { runs: 0 }],
    ['runs Infinity', { runs: Number.POSITIVE_INFINITY }],
  ])('refuses %s for PCT', (_, options) => {
    expect(code(() => explorePct(toy, options as never))).toBe('SIM_ERR_EXPLORE_BAD_OPTION');
  });

  it('names the option and the range in the message', () => {
    expect(() => exploreSystematic(toy, { limit: -3 })).toThrow(/option limit is -3: pass an integer from 1 to/);
  });

  it('refuses a bad worker count and a relative module path before starting anything', async () => {
    await expect(
      exploreSystematicOnWorkers({ module: TOY_MODULE, args: { program: 'abba' } }, { workers: -1 }),
    ).rejects.toMatchObject({ code: 'SIM_ERR_EXPLORE_BAD_OPTION' });
    await expect(exploreSystematicOnWorkers({ module: './toys/program.mjs' })).rejects.toThrow(
      /relative path: pass an absolute path or a file URL/,
    );
    await expect(exploreSystematicOnWorkers({ module: '/no/such/module.mjs' })).rejects.toMatchObject({
      code: 'SIM_ERR_EXPLORE_BAD_MODULE',
    });
    await expect(exploreSystematicOnWorkers({ module: new URL('./types.ts', import.meta.url).href })).rejects.toThrow(
      /has no createSystem export/,
    );
    await expect(exploreSystematicOnWorkers(null as never)).rejects.toMatchObject({
      code: 'SIM_ERR_EXPLORE_BAD_MODULE',
    });
  });
});

describe('replay', () => {
  it('refuses a schedule that is not an array of task names', () => {
    expect(code(() => replay(toy, 'A B' as never))).toBe('SIM_ERR_EXPLORE_BAD_SCHEDULE');
    expect(code(() => replay(toy, ['A', 1] as never))).toBe('SIM_ERR_EXPLORE_BAD_SCHEDULE');
  });

  it('refuses a task that is not enabled, naming the step and the enabled tasks', () => {
    expect(() => replay(toy, ['A', 'C'])).toThrow(
      /schedule step 1 names task "C", but the tasks enabled there are \["A","B"\]/,
    );
    expect(() => replay(toy, ['A', 'A', 'A'])).toThrow(/schedule step 2 names task "A"/);
  });

  it('runs the default past the schedule, and an empty schedule is the default run', () => {
    expect(replay(toy, ['B'])).toMatchObject({ schedule: ['B', 'B', 'A', 'A'], key: 'x=2' });
    expect(replay(toy, [])).toMatchObject({ schedule: ['A', 'A', 'B', 'B'], key: 'x=2' });
  });
});

describe('a system that breaks the contract', () => {
  it.each([
    ['an empty enabled list', [{ enabled: [], current: null }]],
    ['a non-array enabled', [{ enabled: 'A', current: null }]],
    ['a duplicate task', [{ enabled: ['A', 'A'], current: null }]],
    ['a non-string task', [{ enabled: ['A', 7], current: null }]],
    ['a bad current', [{ enabled: ['A'], current: 3 }]],
    ['a point that is not an object', [null]],
  ])('is refused for %s', (_, points) => {
    expect(code(() => exploreSystematic(scripted(points)))).toBe('SIM_ERR_EXPLORE_BAD_SYSTEM');
  });

  it('is refused when its transitions do not match the choices, or classify() returns a non-string', () => {
    const p = [{ enabled: ['A'], current: null }];
    expect(code(() => exploreSystematic(scripted(p, { transitions: [] })))).toBe('SIM_ERR_EXPLORE_BAD_SYSTEM');
    expect(code(() => exploreSystematic(scripted(p, { transitions: [{ task: 'B', footprint: [] }] })))).toBe(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
    );
    expect(code(() => exploreSystematic(scripted(p, { transitions: [{ task: 'A', footprint: 'x' }] })))).toBe(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
    );
    expect(() => exploreSystematic(scripted(p, { classify: () => 1 }))).toThrow(/classify\(\) returned 1/);
    expect(code(() => exploreSystematic({ run: 1 } as never))).toBe('SIM_ERR_EXPLORE_BAD_SYSTEM');
  });

  it('is caught when it is not deterministic (the same schedule reaches other switch points)', () => {
    let calls = 0;
    const flaky: ExploredSystem<number> = {
      run(choose) {
        calls++;
        const enabled = calls % 2 === 0 ? ['A', 'B'] : ['A', 'B', 'C'];
        const transitions = [];
        for (let i = 0; i < 3; i++) {
          const c = choose({ enabled, current: null });
          if (c === null) return { transitions, outcome: 0, aborted: true };
          transitions.push({ task: c, footprint: null });
        }
        return { transitions, outcome: 0, aborted: false };
      },
      classify: () => 'k',
    };
    expect(() => exploreSystematic(flaky, { splitDepth: 0 })).toThrow(/the system is not deterministic/);
  });

  it('is caught when the same schedule ends early', () => {
    let calls = 0;
    const shrinking: ExploredSystem<number> = {
      run(choose) {
        calls++;
        const transitions = [];
        for (let i = 0; i < (calls <= 2 ? 4 : 1); i++) {
          const c = choose({ enabled: ['A', 'B'], current: transitions.at(-1)?.task ?? null });
          if (c === null) return { transitions, outcome: 0, aborted: true };
          transitions.push({ task: c, footprint: null });
        }
        return { transitions, outcome: 0, aborted: false };
      },
      classify: () => 'k',
    };
    expect(() => exploreSystematic(shrinking, { splitDepth: 0 })).toThrow(
      /the system is not deterministic: the schedule .* ended after 1 switch points/,
    );
  });
});

describe('prototype-named tasks', () => {
  // Built with JSON.parse: an object literal's __proto__ key would set the prototype instead.
  const program = JSON.parse(
    '{"tasks":{"__proto__":[{"op":"read","v":"x"},{"op":"writeInc","v":"x"}],"constructor":[{"op":"read","v":"x"},{"op":"writeInc","v":"x"}],"hasOwnProperty":[{"op":"add","v":"toString","n":1}]}}',
  );

  it('are explored like any other name, systematically and by PCT', () => {
    const system = createSystem(program);
    const report = exploreSystematic(system, { preemptionBound: Number.POSITIVE_INFINITY });
    expect(report.classes.map((c) => c.key).sort()).toEqual(['toString=1 x=1', 'toString=1 x=2']);
    for (const c of report.classes) expect(replay(system, c.schedule).key).toBe(c.key);
    const pct = explorePct(system, { runs: 200 });
    expect(pct.tasks).toBe(3);
    expect(pct.classes.map((c) => c.key)).toContain('toString=1 x=1');
  });
});
