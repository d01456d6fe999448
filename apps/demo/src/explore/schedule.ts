import { runToBlock, showValue } from '@sim/core';
import { exploreError } from './errors.ts';
import type { Execution, ExploredSystem, Schedule, SwitchPoint, Transition } from './types.ts';

/** The non-preemptive default: the current task if it is still enabled, else the first enabled one. */
export function defaultChoice(p: SwitchPoint): string {
  // core's runToBlock (the kernel's task runs default to it too); enabled is never empty here
  return runToBlock(p) as string;
}

/** A preemption (CHESS): choosing another task while the current one is still enabled. */
export function isPreemption(p: SwitchPoint, choice: string): boolean {
  return p.current !== null && choice !== p.current && p.enabled.includes(p.current);
}

/** Two transitions are dependent when they are by the same task, either footprint is unknown, or they share an object. */
export function dependent(a: Transition, b: Transition): boolean {
  if (a.task === b.task || a.footprint === null || b.footprint === null) return true;
  for (const x of a.footprint) if (b.footprint.includes(x)) return true;
  return false;
}

/**
 * A switch point as the system passed it, checked and copied (the system may reuse its arrays): a non-empty list
 * of distinct task names, and a current task that is a string or null.
 */
export function checkedPoint(p: unknown, step: number): SwitchPoint {
  const where = `at switch point ${step}`;
  if (typeof p !== 'object' || p === null)
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `${where} choose() got ${showValue(p)}: pass { enabled, current }`,
    );
  const { enabled, current } = p as { enabled?: unknown; current?: unknown };
  if (!Array.isArray(enabled) || enabled.length === 0)
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `${where} choose() got enabled ${showValue(enabled)}: pass a non-empty array of task names (end the execution when no task can run)`,
    );
  const seen = new Set<string>();
  for (const t of enabled) {
    if (typeof t !== 'string' || seen.has(t))
      throw exploreError(
        'SIM_ERR_EXPLORE_BAD_SYSTEM',
        `${where} enabled ${showValue(enabled)} has ${typeof t === 'string' ? 'a duplicate' : 'a non-string'} ${showValue(t)}: list each task once, by name`,
      );
    seen.add(t);
  }
  if (current !== null && typeof current !== 'string')
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `${where} current is ${showValue(current)}: pass a task name or null`,
    );
  return { enabled: [...enabled] as string[], current };
}

/** The execution's transitions, checked against the choices made: one transition per choice, by the chosen task. */
export function checkedTransitions(exec: unknown, choices: readonly string[]): Execution<unknown> {
  if (typeof exec !== 'object' || exec === null || !Array.isArray((exec as Execution<unknown>).transitions))
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `run() returned ${showValue(exec)}: return { transitions, outcome, aborted }`,
    );
  const e = exec as Execution<unknown>;
  if (e.transitions.length !== choices.length)
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SYSTEM',
      `run() reported ${e.transitions.length} transitions for ${choices.length} choices: report one transition per task chosen`,
    );
  e.transitions.forEach((t, i) => {
    const ok =
      typeof t === 'object' &&
      t !== null &&
      t.task === choices[i] &&
      (t.footprint === null || (Array.isArray(t.footprint) && t.footprint.every((x) => typeof x === 'string')));
    if (!ok)
      throw exploreError(
        'SIM_ERR_EXPLORE_BAD_SYSTEM',
        `transition ${i} is ${showValue(t)} but task ${showValue(choices[i])} was chosen: report { task, footprint } with footprint a string array or null`,
      );
  });
  return e;
}

/** The class key of an outcome, checked to be a string. */
export function classOf<O>(system: ExploredSystem<O>, outcome: O): string {
  const key: unknown = system.classify(outcome);
  if (typeof key !== 'string')
    throw exploreError('SIM_ERR_EXPLORE_BAD_SYSTEM', `classify() returned ${showValue(key)}: return a string key`);
  return key;
}

export interface Replayed<O> {
  readonly execution: Execution<O>;
  /** The whole schedule run: the one given, then the default's choices past its end. */
  readonly schedule: Schedule;
  readonly key: string;
}

/**
 * Runs `schedule`: at switch point i the task schedule[i], past its end the non-preemptive default. A schedule that
 * names a task not enabled at its point is an error naming the point.
 */
export function replay<O>(system: ExploredSystem<O>, schedule: Schedule): Replayed<O> {
  if (!Array.isArray(schedule) || !schedule.every((t) => typeof t === 'string'))
    throw exploreError(
      'SIM_ERR_EXPLORE_BAD_SCHEDULE',
      `replay() got schedule ${showValue(schedule)}: pass an array of task names`,
    );
  const choices: string[] = [];
  const execution = system.run((raw) => {
    const p = checkedPoint(raw, choices.length);
    const i = choices.length;
    let c: string;
    if (i < schedule.length) {
      c = schedule[i] as string;
      if (!p.enabled.includes(c))
        throw exploreError(
          'SIM_ERR_EXPLORE_BAD_SCHEDULE',
          `schedule step ${i} names task ${showValue(c)}, but the tasks enabled there are ${showValue(p.enabled)}: fix the schedule (or the scenario it came from)`,
        );
    } else c = defaultChoice(p);
    choices.push(c);
    return c;
  });
  checkedTransitions(execution, choices);
  return { execution, schedule: choices, key: classOf(system, execution.outcome) };
}
