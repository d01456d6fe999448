/** The record of one step as it ran, or did not: shared by the steps' run and the tasks'. */
import type { TraceEvent } from '@sim/core';
import type { Step } from '../scenario/types.ts';
import type { StepRun } from './run.ts';
import { errnoOf } from './session.ts';

/** A step that never ran (the kernel was dead before it). */
export function notRunStep(index: number, step: Step, task?: string): StepRun {
  return {
    index,
    step,
    ran: false,
    result: null,
    errno: null,
    output: null,
    oops: false,
    events: [],
    ...(task === undefined ? {} : { task }),
  };
}

/** A step that ran: its result, its output, whether the kernel died in it, its events. */
export function ranStep(
  index: number,
  step: Step,
  r: { readonly result: number | null; readonly output: string | null },
  died: boolean,
  events: readonly TraceEvent[],
  task?: string,
): StepRun {
  return {
    index,
    step,
    ran: true,
    result: r.result,
    errno: errnoOf(r.result),
    output: r.output,
    oops: r.result === null && died,
    events,
    ...(task === undefined ? {} : { task }),
  };
}
