import { exploreError } from './errors.ts';
import { checkedPoint, checkedTransitions, classOf, defaultChoice, dependent, isPreemption } from './schedule.ts';
import type { ExploredSystem, Schedule, SwitchPoint, SystematicReport, Transition } from './types.ts';

type Footprint = readonly string[] | null;

/**
 * A subtree of the depth-first search: the schedule prefix that leads to it, the sleep set carried out of its
 * last node (that node's sleep set and the siblings explored before it), and the preemptions used before the
 * last choice. The root unit is `{ index: 0, prefix: [], sleep: [], preemptions: 0 }`.
 */
export interface Unit {
  readonly index: number;
  readonly prefix: Schedule;
  readonly sleep: readonly (readonly [string, Footprint])[];
  readonly preemptions: number;
}

/** The search settings a unit needs (all resolved, so that they cross to a worker as they are). */
export interface SearchSettings {
  readonly bound: number;
  readonly sleepSets: boolean;
  readonly maxSteps: number;
  readonly limit: number;
}

/**
 * What one unit's search did, in depth-first order, as numbers (compact to post between threads):
 * `k >= 0` an execution of the unit's k-th class, SLEEP_CUT a run cut by the sleep set, DEPTH_CUT a run cut at
 * maxSteps, and `-(n + 2)` for n >= 1 alternatives skipped by the preemption bound.
 */
export type SearchLog = number[];
export const SLEEP_CUT = -1;
export const DEPTH_CUT = -2;
export function preemptionCutEntry(n: number): number {
  return -(n + 2);
}

export interface UnitResult {
  readonly index: number;
  readonly log: SearchLog;
  /** The unit's classes in order of first appearance, each with the first schedule that reached it. */
  readonly classes: readonly { readonly key: string; readonly schedule: Schedule }[];
  /** True when the unit stopped at the run limit with schedules left. */
  readonly truncated: boolean;
}

interface Node {
  readonly point: SwitchPoint;
  choice: string;
  footprint: Footprint;
  /** The sleep set on entry: tasks whose next transition need not be tried here, with that transition's footprint. */
  readonly sleep: Map<string, Footprint>;
  /** Choices explored here already, with their transitions' footprints. */
  readonly done: Map<string, Footprint>;
  /** Preemptions used before this node's choice. */
  readonly preemptions: number;
  /** The choice is in the sleep set: the run was cut here and the choice is not explored. */
  asleep: boolean;
}

interface Sink {
  execution(key: string, schedule: Schedule): void;
  event(entry: number): void;
  /** Parent mode: the run reached the split depth (or ended before it); its subtree is a unit. */
  unit(prefix: Schedule, sleep: [string, Footprint][], preemptions: number): void;
}

/** The sleep set after `node`'s transition: what slept or was done there and is independent of it (Godefroid). */
function nextSleep(node: Node): Map<string, Footprint> {
  const taken: Transition = { task: node.choice, footprint: node.footprint };
  const next = new Map<string, Footprint>();
  for (const set of [node.sleep, node.done])
    for (const [task, footprint] of set) if (!dependent({ task, footprint }, taken)) next.set(task, footprint);
  return next;
}

/** The order in which a node's choices are tried: the non-preemptive default first, then the rest as enabled lists them. */
function childOrder(p: SwitchPoint): string[] {
  const first = defaultChoice(p);
  return [first, ...p.enabled.filter((t) => t !== first)];
}

/**
 * Depth-first stateless search of one unit's subtree (nodes below the unit's prefix are fixed). With `stopAt`
 * (the parent's frontier mode) each run stops at that depth and its subtree is handed to sink.unit instead of
 * being searched. Returns whether it stopped at `budget` runs with choices left.
 */
export function searchUnit<O>(
  system: ExploredSystem<O>,
  unit: Unit,
  settings: SearchSettings,
  budget: number,
  sink: Sink,
  stopAt = Number.POSITIVE_INFINITY,
): boolean {
  const floor = unit.prefix.length;
  const nodes: Node[] = [];
  let prefix: readonly string[] = unit.prefix;
  let runs = 0;
  for (;;) {
    // One run: the prefix, then the non-preemptive default.
    const points: SwitchPoint[] = [];
    const choices: string[] = [];
    const state: { stopped: 'depth' | 'split' | null } = { stopped: null };
    const exec = system.run((raw) => {
      const i = points.length;
      const p = checkedPoint(raw, i);
      points.push(p);
      if (i >= settings.maxSteps) {
        state.stopped = 'depth';
        return null;
      }
      if (i >= stopAt) {
        state.stopped = 'split';
        return null;
      }
      let c: string;
      if (i < prefix.length) {
        c = prefix[i] as string;
        const known = nodes[i];
        if (!p.enabled.includes(c) || (known && !samePoint(known.point, p)))
          throw exploreError(
            'SIM_ERR_EXPLORE_BAD_SYSTEM',
            `the system is not deterministic: the same schedule ${JSON.stringify(prefix.slice(0, i))} reached switch point ${i} with enabled ${JSON.stringify(p.enabled)} and current ${JSON.stringify(p.current)}${known ? `, before with ${JSON.stringify(known.point.enabled)} and ${JSON.stringify(known.point.current)}` : ''}: make run() start from the same initial state each time and depend only on choose()'s answers`,
          );
      } else c = defaultChoice(p);
      choices.push(c);
      return c;
    });
    checkedTransitions(exec, choices);
    const stopped = state.stopped;
    if (exec.aborted !== (stopped !== null))
      throw exploreError(
        'SIM_ERR_EXPLORE_BAD_SYSTEM',
        `run() returned aborted: ${String(exec.aborted)} though choose() ${stopped === null ? 'never returned null' : 'returned null'}: set aborted exactly when choose() returned null`,
      );
    if (stopped === null && choices.length < prefix.length)
      throw exploreError(
        'SIM_ERR_EXPLORE_BAD_SYSTEM',
        `the system is not deterministic: the schedule ${JSON.stringify(prefix)} ended after ${choices.length} switch points, before with more: make run() start from the same initial state each time and depend only on choose()'s answers`,
      );
    runs++;

    // Integrate: the changed node learns its transition, new nodes get their sleep sets and preemption counts.
    const last = nodes.length - 1;
    if (last >= 0) (nodes[last] as Node).footprint = exec.transitions[last]?.footprint ?? null;
    let cutAt = -1;
    for (let i = nodes.length; i < choices.length; i++) {
      const prev = nodes[i - 1];
      const top = i === floor - 1 || (floor === 0 && i === 0);
      const node: Node = {
        point: points[i] as SwitchPoint,
        choice: choices[i] as string,
        footprint: (exec.transitions[i] as Transition).footprint,
        sleep: i < floor || !prev ? new Map(top ? unit.sleep : []) : settings.sleepSets ? nextSleep(prev) : new Map(),
        done: new Map(),
        preemptions:
          i < floor || !prev
            ? top
              ? unit.preemptions
              : 0
            : prev.preemptions + (isPreemption(prev.point, prev.choice) ? 1 : 0),
        asleep: false,
      };
      nodes.push(node);
      if (i >= floor && node.sleep.has(node.choice)) {
        node.asleep = true;
        cutAt = i;
        break;
      }
    }

    if (cutAt >= 0) sink.event(SLEEP_CUT);
    else if (stopped === 'depth') sink.event(DEPTH_CUT);
    else if (stopAt !== Number.POSITIVE_INFINITY) {
      const tail = nodes[nodes.length - 1];
      const carried: [string, Footprint][] = tail ? [...tail.sleep, ...tail.done] : [];
      sink.unit(choices, carried, tail ? tail.preemptions : 0);
    } else sink.execution(classOf(system, exec.outcome), choices);

    // Backtrack to the deepest node with a choice left within the bound.
    let next = false;
    for (let k = nodes.length - 1; k >= floor && k >= 0; k--) {
      const node = nodes[k] as Node;
      if (!node.asleep) node.done.set(node.choice, node.footprint);
      let found: string | undefined;
      let cut = 0;
      for (const c of childOrder(node.point)) {
        if (node.done.has(c) || node.sleep.has(c)) continue;
        if (node.preemptions + (isPreemption(node.point, c) ? 1 : 0) > settings.bound) {
          cut++;
          continue;
        }
        found = c;
        break;
      }
      if (found !== undefined) {
        node.choice = found;
        node.asleep = false;
        nodes.length = k + 1;
        next = true;
        break;
      }
      if (cut > 0) sink.event(preemptionCutEntry(cut));
      nodes.length = k;
    }
    if (!next) return false;
    if (runs >= budget) return true;
    prefix = nodes.map((n) => n.choice);
  }
}

function samePoint(a: SwitchPoint, b: SwitchPoint): boolean {
  return (
    a.current === b.current && a.enabled.length === b.enabled.length && a.enabled.every((t, i) => b.enabled[i] === t)
  );
}

/** Searches one unit to the end (or the run limit), as a worker does. */
export function exploreUnit<O>(system: ExploredSystem<O>, unit: Unit, settings: SearchSettings): UnitResult {
  const log: SearchLog = [];
  const classes: { key: string; schedule: Schedule }[] = [];
  const index = new Map<string, number>();
  const truncated = searchUnit(system, unit, settings, settings.limit, {
    execution(key, schedule) {
      let k = index.get(key);
      if (k === undefined) {
        k = classes.length;
        index.set(key, k);
        classes.push({ key, schedule: [...schedule] });
      }
      log.push(k);
    },
    event(entry) {
      log.push(entry);
    },
    unit() {
      throw new Error('exploreUnit: a unit search never splits');
    },
  });
  return { index: unit.index, log, classes, truncated };
}

/** The frontier: in depth-first order, the units and the events of the runs the parent made above the split depth. */
export type FrontierItem = { readonly unit: Unit } | { readonly event: number };

export interface Frontier {
  readonly items: readonly FrontierItem[];
  readonly units: readonly Unit[];
  /** True when the frontier alone reached the run limit with choices left. */
  readonly truncated: boolean;
}

/**
 * Splits the search at depth `splitDepth` into units, in depth-first order. Runs stop at that depth, so the cost
 * is one short run per unit. It depends on the system and the settings only, never on the worker count.
 */
export function frontier<O>(system: ExploredSystem<O>, settings: SearchSettings, splitDepth: number): Frontier {
  const items: FrontierItem[] = [];
  const units: Unit[] = [];
  const root: Unit = { index: 0, prefix: [], sleep: [], preemptions: 0 };
  const truncated = searchUnit(
    system,
    root,
    settings,
    settings.limit,
    {
      execution() {
        throw new Error('frontier: runs stop at the split depth');
      },
      event(entry) {
        items.push({ event: entry });
      },
      unit(prefix, sleep, preemptions) {
        const unit: Unit = { index: units.length, prefix: [...prefix], sleep, preemptions };
        units.push(unit);
        items.push({ unit });
      },
    },
    splitDepth,
  );
  return { items, units, truncated };
}

/** Units autoFrontier() aims at: enough for 2 to 8 workers to share the load, few enough to cost little. */
export const UNITS_WANTED = 64;

/**
 * The frontier at the least depth that gives UNITS_WANTED units, or at which no run reaches the depth (the whole
 * tree is above it). It depends on the system and the settings alone, never on the worker count.
 */
export function autoFrontier<O>(system: ExploredSystem<O>, settings: SearchSettings): Frontier {
  let f = frontier(system, settings, 1);
  for (let depth = 1; depth < 64; depth++) {
    if (f.units.length >= UNITS_WANTED || f.truncated || f.units.every((u) => u.prefix.length < depth)) return f;
    f = frontier(system, settings, depth + 1);
  }
  return f;
}

/** Merges the units' results into the report, in depth-first order, cutting at the run limit as one search would. */
export function mergeSystematic(
  f: Frontier,
  results: readonly UnitResult[],
  settings: SearchSettings,
): Omit<SystematicReport, 'mode' | 'preemptionBound' | 'sleepSets' | 'limit'> {
  const byIndex = new Map(results.map((r) => [r.index, r]));
  let runs = 0;
  let executions = 0;
  let sleepSetCuts = 0;
  let depthCuts = 0;
  let preemptionCuts = 0;
  let complete = true;
  const classes = new Map<string, { key: string; count: number; first: number; schedule: Schedule }>();
  /** Applies one log entry; false when it is a run past the limit (the search stops there, incomplete). */
  const apply = (entry: number, unitClasses: UnitResult['classes']): boolean => {
    if (entry <= -3) {
      preemptionCuts += -entry - 2;
      return true;
    }
    if (runs >= settings.limit) return false;
    runs++;
    if (entry === SLEEP_CUT) sleepSetCuts++;
    else if (entry === DEPTH_CUT) depthCuts++;
    else {
      executions++;
      const c = unitClasses[entry] as { key: string; schedule: Schedule };
      const known = classes.get(c.key);
      if (known) known.count++;
      else classes.set(c.key, { key: c.key, count: 1, first: runs - 1, schedule: c.schedule });
    }
    return true;
  };
  outer: for (const item of f.items) {
    if ('event' in item) {
      if (!apply(item.event, [])) {
        complete = false;
        break;
      }
      continue;
    }
    const r = byIndex.get(item.unit.index);
    if (!r) throw new Error(`mergeSystematic: no result for unit ${item.unit.index}`);
    for (const entry of r.log)
      if (!apply(entry, r.classes)) {
        complete = false;
        break outer;
      }
    if (r.truncated) {
      complete = false;
      break;
    }
  }
  if (f.truncated) complete = false;
  const coverage = !complete
    ? 'partial'
    : preemptionCuts === 0
      ? 'every-schedule'
      : settings.sleepSets
        ? 'within-bound-reduced'
        : 'within-bound';
  return { complete, coverage, executions, sleepSetCuts, preemptionCuts, depthCuts, classes: [...classes.values()] };
}
