/**
 * The scenario's tasks (`tasks:`): each a userspace process forked after the steps, running its steps as system
 * calls through kernel.runTasks(), interleaved by a chooser (the scenario's `schedule:`, the explorer's choices, or
 * nobody preempted).
 */
import { type Chooser, runToBlock, type SwitchPoint, type TaskSpec, type Transition } from '@sim/core';
import type { Scenario } from '../scenario/types.ts';
import type { StepRun } from './run.ts';
import type { Session } from './session.ts';
import { notRunStep, ranStep } from './step-run.ts';

/** How the tasks ran. */
export interface LanesRun {
  /** Each task's steps as they ran, in the order they ended (a step's `task` names its task). */
  readonly steps: StepRun[];
  /** The task chosen at each switch point: replayed by `schedule:`, it gives the same run. */
  readonly schedule: string[];
  readonly transitions: readonly Transition[];
  /** Tasks reported hung (their blocked step ended with -EDEADLK). */
  readonly hung: readonly string[];
  /** The chooser gave up (the explorer cut a redundant schedule). */
  readonly aborted: boolean;
}

/** Replays `schedule`, then lets nobody be preempted (runToBlock). */
export function replaying(schedule: readonly string[]): Chooser {
  let i = 0;
  return (p: SwitchPoint) => {
    const want = schedule[i++];
    return want !== undefined && p.enabled.includes(want) ? want : runToBlock(p);
  };
}

/** Runs the scenario's tasks on the session's kernel; `firstIndex` numbers their steps after the steps'. */
export function runLanes(session: Session, scenario: Scenario, firstIndex: number, choose?: Chooser): LanesRun {
  const k = session.kernel;
  const steps: StepRun[] = [];
  const schedule: string[] = [];
  // Which task each stretch of trace events belongs to: [first event index, task].
  const owners: [number, string][] = [];
  const ownerOf = (i: number): string | undefined => {
    let lo = 0;
    let hi = owners.length - 1;
    let found: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (owners[mid]![0] <= i) {
        found = owners[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const pick = choose ?? replaying(scenario.schedule ?? []);
  const specs: TaskSpec[] = scenario.tasks.map((task) => ({
    name: task.name,
    *run(sys) {
      const fds = session.forkFds();
      for (const step of task.steps) {
        const index = firstIndex + steps.length;
        if (k.oops !== null) {
          steps.push(notRunStep(index, step, task.name));
          continue;
        }
        const from = session.events.length;
        const r = yield* session.execIn(sys, step.command, fds);
        const to = session.events.length;
        const events = session.events.slice(from, to).filter((_, j) => ownerOf(from + j) === task.name);
        steps.push(ranStep(index, step, r, k.oops !== null, events, task.name));
      }
    },
  }));
  if (k.oops !== null) {
    // The kernel died in the steps: no task runs (each step listed as not run).
    notRun(scenario, steps, firstIndex);
    return { steps, schedule, transitions: [], hung: [], aborted: false };
  }
  const r = k.runTasks(specs, {
    choose: (p) => {
      const chosen = pick(p);
      if (chosen !== null) {
        schedule.push(chosen);
        owners.push([session.events.length, chosen]);
      }
      return chosen;
    },
  });
  // A dead kernel ends the run: the tasks' steps it never reached are listed as not run.
  if (!r.aborted) notRun(scenario, steps, firstIndex);
  return { steps, schedule, transitions: r.transitions, hung: r.hung, aborted: r.aborted };
}

/** Lists each task's steps that did not run (after those that did), as not run. */
function notRun(scenario: Scenario, steps: StepRun[], firstIndex: number): void {
  for (const task of scenario.tasks) {
    const done = steps.filter((s) => s.task === task.name).length;
    for (const step of task.steps.slice(done)) steps.push(notRunStep(firstIndex + steps.length, step, task.name));
  }
}
