import { runGenerator, type Xoshiro128 } from './prng.ts';
import { checkedPoint, checkedTransitions, classOf, defaultChoice } from './schedule.ts';
import { DEPTH_CUT } from './systematic.ts';
import type { ExploredSystem, OutcomeClass, Schedule, SwitchPoint } from './types.ts';

/** What the parent measures in a first run (the non-preemptive default schedule) and every PCT run needs. */
export interface PctPlan {
  readonly seed: number;
  readonly depth: number;
  readonly maxSteps: number;
  /** Tasks of the first run, in order of first appearance: n = tasks.length. */
  readonly tasks: readonly string[];
  /** Decisions of the first run (switch points with two or more enabled tasks): k. */
  readonly steps: number;
}

/** A slice of run indexes [from, to): how PCT is split across workers (fixed size, whatever the worker count). */
export interface PctUnit {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

export interface PctUnitResult {
  readonly index: number;
  /** Per run: the unit's class index, or DEPTH_CUT. */
  readonly log: number[];
  readonly classes: readonly { readonly key: string; readonly schedule: Schedule }[];
}

/** Runs the default schedule once and measures n and k for the plan. */
export function planPct<O>(
  system: ExploredSystem<O>,
  options: { seed: number; depth: number; maxSteps: number },
): PctPlan {
  const tasks: string[] = [];
  const known = new Set<string>();
  let steps = 0;
  const choices: string[] = [];
  const exec = system.run((raw) => {
    const p = checkedPoint(raw, choices.length);
    if (choices.length >= options.maxSteps) return null;
    for (const t of p.enabled)
      if (!known.has(t)) {
        known.add(t);
        tasks.push(t);
      }
    if (p.enabled.length > 1) steps++;
    const c = defaultChoice(p);
    choices.push(c);
    return c;
  });
  checkedTransitions(exec, choices);
  return { seed: options.seed, depth: options.depth, maxSteps: options.maxSteps, tasks, steps };
}

/**
 * The priority scheduler of one PCT run (Burckhardt et al., ASPLOS 2010, as shuttle's PctScheduler has it):
 * distinct random priorities for the tasks, d-1 change points among the decisions 1..k-1 at which the running
 * task drops below every other; the highest-priority enabled task runs.
 */
class PctRun {
  /** Lower value = higher priority. */
  private readonly priority = new Map<string, number>();
  private readonly order: string[] = [];
  private next: number;
  private readonly changeAt: Set<number>;
  private decisions = 0;

  constructor(
    private readonly rng: Xoshiro128,
    plan: PctPlan,
  ) {
    const values = plan.tasks.map((_, i) => i);
    for (let i = values.length - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [values[i], values[j]] = [values[j] as number, values[i] as number];
    }
    plan.tasks.forEach((t, i) => {
      this.priority.set(t, values[i] as number);
      this.order.push(t);
    });
    this.next = values.length;
    const candidates = Math.max(plan.steps - 1, 0);
    const count = Math.min(plan.depth - 1, candidates);
    this.changeAt = new Set();
    while (this.changeAt.size < count) this.changeAt.add(1 + rng.below(candidates));
  }

  /** A task first seen in this run takes a random task's priority (or the lowest), that task the lowest. */
  private meet(task: string): void {
    const r = this.rng.below(this.order.length + 1);
    if (r === this.order.length) this.priority.set(task, this.next++);
    else {
      const other = this.order[r] as string;
      this.priority.set(task, this.priority.get(other) as number);
      this.priority.set(other, this.next++);
    }
    this.order.push(task);
  }

  choose(p: SwitchPoint): string {
    for (const t of p.enabled) if (!this.priority.has(t)) this.meet(t);
    if (p.enabled.length > 1) {
      if (this.changeAt.has(this.decisions) && p.current !== null) {
        if (!this.priority.has(p.current)) this.meet(p.current);
        this.priority.set(p.current, this.next++);
      }
      this.decisions++;
    }
    let best = p.enabled[0] as string;
    for (const t of p.enabled) if ((this.priority.get(t) as number) < (this.priority.get(best) as number)) best = t;
    return best;
  }
}

/** Runs the unit's PCT runs; run i's randomness comes from (seed, i) alone. */
export function pctUnit<O>(system: ExploredSystem<O>, plan: PctPlan, unit: PctUnit): PctUnitResult {
  const log: number[] = [];
  const classes: { key: string; schedule: Schedule }[] = [];
  const index = new Map<string, number>();
  for (let run = unit.from; run < unit.to; run++) {
    const scheduler = new PctRun(runGenerator(plan.seed, run), plan);
    const choices: string[] = [];
    let cut = false;
    const exec = system.run((raw) => {
      const p = checkedPoint(raw, choices.length);
      if (choices.length >= plan.maxSteps) {
        cut = true;
        return null;
      }
      const c = scheduler.choose(p);
      choices.push(c);
      return c;
    });
    checkedTransitions(exec, choices);
    if (cut) {
      log.push(DEPTH_CUT);
      continue;
    }
    const key = classOf(system, exec.outcome);
    let k = index.get(key);
    if (k === undefined) {
      k = classes.length;
      index.set(key, k);
      classes.push({ key, schedule: choices });
    }
    log.push(k);
  }
  return { index: unit.index, log, classes };
}

/** Runs per PCT unit: fixed, so the split is the same for every worker count. */
export const PCT_UNIT_RUNS = 50;

export function pctUnits(runs: number): PctUnit[] {
  const units: PctUnit[] = [];
  for (let from = 0; from < runs; from += PCT_UNIT_RUNS)
    units.push({ index: units.length, from, to: Math.min(runs, from + PCT_UNIT_RUNS) });
  return units;
}

/** The paper's bound for one run, 1/(n·k^(d-1)), and for `runs` runs, 1-(1-p)^runs. */
export function pctGuarantee(n: number, k: number, d: number, runs: number): { perRun: number; overall: number } {
  const perRun = n === 0 ? 1 : 1 / (n * Math.max(k, 1) ** (d - 1));
  return { perRun, overall: 1 - (1 - perRun) ** runs };
}

/** Merges unit results in run order: counts, and each class's first run. */
export function mergePct(results: readonly PctUnitResult[]): {
  executions: number;
  depthCuts: number;
  classes: OutcomeClass[];
} {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const classes = new Map<string, { key: string; count: number; first: number; schedule: Schedule }>();
  let run = 0;
  let executions = 0;
  let depthCuts = 0;
  for (const r of sorted)
    for (const entry of r.log) {
      if (entry === DEPTH_CUT) depthCuts++;
      else {
        executions++;
        const c = r.classes[entry] as { key: string; schedule: Schedule };
        const known = classes.get(c.key);
        if (known) known.count++;
        else classes.set(c.key, { key: c.key, count: 1, first: run, schedule: c.schedule });
      }
      run++;
    }
  return { executions, depthCuts, classes: [...classes.values()] };
}
