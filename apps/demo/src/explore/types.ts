/**
 * The explorer's contract with the system it explores: a deterministic program of tasks that asks, at each
 * switch point, which task runs next. The engine knows nothing of the kernel; `sim explore` wires the kernel's
 * scheduler to it.
 */

import type { SwitchPoint, Transition } from '@sim/core';

/**
 * A point where the scheduler picks the next task (the tasks that can run, in a fixed task order, and the one that
 * ran last), and what the chosen task did until the next one (the objects it touched; null: unknown, dependent on
 * all): core's own types, the kernel's scheduler being one system the engine explores.
 */
export type { SwitchPoint, Transition };

export interface Execution<O> {
  readonly transitions: readonly Transition[];
  readonly outcome: O;
  readonly aborted: boolean;
}

export interface ExploredSystem<O> {
  /** One execution from the initial state; choose() is asked at each switch point (never with an empty enabled list);
   *  it returns one of p.enabled, or null to abandon this execution (then aborted is true, outcome whatever it is). */
  run(choose: (p: SwitchPoint) => string | null): Execution<O>;
  /** Executions whose outcomes have equal keys are one outcome class. */
  classify(outcome: O): string;
}

/** A schedule: the task chosen at each switch point, in order. */
export type Schedule = readonly string[];

/**
 * Where a worker thread gets its system: `module` is a module specifier or file URL whose export
 * `createSystem(args)` returns the system (or a promise of it); `args` must survive structured cloning.
 */
export interface SystemSpec {
  readonly module: string;
  readonly args?: unknown;
}

/** Options of systematic mode (stateless model checking). */
export interface SystematicOptions {
  /** Most preemptions in one execution (CHESS); default 2; `Infinity` for no bound. */
  readonly preemptionBound?: number;
  /** Skip orders equivalent to explored ones (Godefroid's sleep sets); default true. */
  readonly sleepSets?: boolean;
  /** Most runs (executions, runs cut by sleep sets, runs cut at maxSteps); default 10,000. */
  readonly limit?: number;
  /** An execution with more switch points than this is abandoned (a livelock guard); default 10,000. */
  readonly maxSteps?: number;
  /**
   * Depth of the schedule prefixes the search is split into for workers. Default: the least depth that gives at
   * least 64 units (or the whole tree); either way the report does not depend on it, nor on the worker count.
   */
  readonly splitDepth?: number;
}

/** Options of randomized mode (PCT). */
export interface PctOptions {
  /** Number of runs; default 1,000. */
  readonly runs?: number;
  /** The bug depth d the guarantee is given for (d-1 priority change points per run); default 3. */
  readonly depth?: number;
  /** Seed of the pseudo-random generator (an integer 0..2^32-1); default 0. */
  readonly seed?: number;
  /** An execution with more switch points than this is abandoned; default 10,000. */
  readonly maxSteps?: number;
}

/** One outcome class: its key, how many executions reached it, and the canonical first schedule that did. */
export interface OutcomeClass {
  readonly key: string;
  readonly count: number;
  /** The ordinal (from 0) of the first run that reached it: in depth-first order, or the PCT run index. */
  readonly first: number;
  readonly schedule: Schedule;
}

export interface SystematicReport {
  readonly mode: 'systematic';
  /** The preemption bound used; null when unbounded. */
  readonly preemptionBound: number | null;
  readonly sleepSets: boolean;
  readonly limit: number;
  /** True when the search ran to its end before the limit. */
  readonly complete: boolean;
  /**
   * What a complete search covered. `every-schedule`: the bound cut nothing, so every schedule was run or is
   * equivalent (same transitions, independent ones reordered) to one that was. `within-bound`: every schedule
   * with at most preemptionBound preemptions was run (sleep sets off). `within-bound-reduced`: sleep sets and a
   * bound that cut something; sleep sets may then skip a schedule within the bound whose equivalent orders all
   * need more preemptions (Coons, Musuvathi & McKinley, OOPSLA 2013), so this is not a proof; rerun with sleep
   * sets off or no bound for one. `partial`: the limit stopped the search.
   */
  readonly coverage: 'every-schedule' | 'within-bound' | 'within-bound-reduced' | 'partial';
  /** Runs that completed and were classified. */
  readonly executions: number;
  /** Runs abandoned because they reached a transition in the sleep set (an equivalent order was run). */
  readonly sleepSetCuts: number;
  /** Alternatives not tried because they would have exceeded the preemption bound (0: the bound cut nothing). */
  readonly preemptionCuts: number;
  /** Runs abandoned at maxSteps switch points. */
  readonly depthCuts: number;
  readonly classes: readonly OutcomeClass[];
}

export interface PctReport {
  readonly mode: 'pct';
  readonly seed: number;
  readonly runs: number;
  readonly depth: number;
  /** Tasks seen in the first run (n). */
  readonly tasks: number;
  /** Steps of the first run (k); change points are drawn from 1..k. */
  readonly steps: number;
  /** The paper's lower bound on finding a given depth-d bug in one run: 1/(n·k^(d-1)). */
  readonly perRunProbability: number;
  /** What the runs give together: 1-(1-p)^runs. */
  readonly overallProbability: number;
  readonly executions: number;
  readonly depthCuts: number;
  readonly classes: readonly OutcomeClass[];
}

export type ExploreReport = SystematicReport | PctReport;
