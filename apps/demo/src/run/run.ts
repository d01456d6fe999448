import {
  type Chooser,
  formatRecord,
  type Kernel,
  type LogRecord,
  type Oops,
  type TraceEvent,
  type Transition,
} from '@sim/core';
import { notifyName } from '../format/style.ts';
import type { EndExpect, ResultSpec, Scenario, Step, StepExpect } from '../scenario/types.ts';
import { runLanes } from './lanes.ts';
import { errnoOf, Session } from './session.ts';
import { notRunStep, ranStep } from './step-run.ts';

/** One step as it ran. */
export interface StepRun {
  readonly index: number;
  readonly step: Step;
  /** False when the kernel was already dead, so the step never ran. */
  readonly ran: boolean;
  readonly result: number | null;
  readonly errno: string | null;
  readonly output: string | null;
  /** The kernel died during this step. */
  readonly oops: boolean;
  /** The trace events of this step. */
  readonly events: readonly TraceEvent[];
  /** The task (`tasks:`) that ran the step; undefined for the steps of `steps:`. */
  readonly task?: string;
}

/** One checked expectation. */
export interface ExpectationResult {
  /** The line of the expectation in the scenario file. */
  readonly line: number;
  readonly ok: boolean;
  /** What was checked, and how it came out. */
  readonly message: string;
  /** For a failed one: what was expected and what came out. */
  readonly expected?: string;
  readonly actual?: string;
}

/** A scenario run under one profile. */
export interface RunResult {
  readonly scenario: Scenario;
  readonly profile: string;
  /** The profile's base kernel: '4.12' or '6.12'. */
  readonly base: string;
  readonly flags: readonly string[];
  readonly plugins: readonly string[];
  /** Events of the boot (topology, notifiers, drivers loaded). */
  readonly bootEvents: readonly TraceEvent[];
  readonly steps: readonly StepRun[];
  /** With `tasks:`: the task chosen at each switch point (replayable as `schedule:`), and the tasks reported hung. */
  readonly tasks: {
    readonly schedule: readonly string[];
    readonly hung: readonly string[];
    /** What each chosen task did at each switch point (for the explorer's dependence). */
    readonly transitions: readonly Transition[];
    /** The chooser gave up: the run is cut short, its end state not checked. */
    readonly aborted: boolean;
  } | null;
  /** Every device at the end. */
  readonly devices: Readonly<Record<string, { bus: string; driver: string | null; iommuGroup: number | null }>>;
  readonly oops: Oops | null;
  /** The injections in place at the end (the boot's, --inject's and the steps'), as the kernel describes them. */
  readonly injections: readonly string[];
  /** The log at the end, every level. */
  readonly records: readonly LogRecord[];
  readonly expectations: readonly ExpectationResult[];
  /** Every expectation held. */
  readonly ok: boolean;
  readonly events: readonly TraceEvent[];
}

/** Runs a validated scenario under a profile: boots its topology, runs each step, checks the expectations. */
export function runScenario(
  scenario: Scenario,
  profile: string = scenario.profile,
  hooks: {
    /** Called once the plugins are set up, before the topology boots. */
    readonly onKernel?: (kernel: Kernel) => void;
    /** Called after the last step, before the kernel is closed (sim explain reads the kernel there). */
    readonly inspect?: (kernel: Kernel) => void;
    /** Called once the machine is up (index -1) and after each step, run or not (the html page's states). */
    readonly afterStep?: (kernel: Kernel, index: number) => void;
    /** Who runs at each switch point of the tasks (default: the scenario's schedule, then nobody preempted). */
    readonly choose?: Chooser;
  } = {},
): RunResult {
  const { session, steps } = runSteps(scenario, profile, hooks);
  let tasks: RunResult['tasks'] = null;
  if (scenario.tasks.length > 0) {
    const lanes = runLanes(session, scenario, steps.length, hooks.choose);
    for (const s of lanes.steps) {
      steps.push(s);
      hooks.afterStep?.(session.kernel, s.index);
    }
    tasks = { schedule: lanes.schedule, hung: lanes.hung, transitions: lanes.transitions, aborted: lanes.aborted };
    if (lanes.aborted) return abandonedRun(scenario, profile, session, steps, tasks);
  }
  return { ...endRun(scenario, profile, session, steps, hooks.inspect, true), tasks };
}

/** A run whose task run the chooser gave up (the explorer's cut): what it has, unchecked, the kernel left as is. */
function abandonedRun(
  scenario: Scenario,
  profile: string,
  session: Session,
  steps: StepRun[],
  tasks: RunResult['tasks'],
): RunResult {
  const k = session.kernel;
  session.recording.stop();
  return {
    ...runHead(scenario, profile, session, steps),
    tasks,
    devices: session.devices(),
    oops: k.oops,
    injections: [],
    records: k.dmesg.records(),
    expectations: [],
    ok: false,
    events: [...session.events],
  };
}

/**
 * runScenario() with a live part after the steps: `live` gets the kernel and a recorder that adds one step per
 * operation done on it from outside (a real tool's write through `sim mount`), and the run ends when it resolves.
 * The scenario's expectations are not checked (the live part changes the end state): `ok` is what `live` says.
 */
export async function runScenarioLive(
  scenario: Scenario,
  profile: string,
  live: (kernel: Kernel, record: LiveRecorder) => Promise<boolean>,
): Promise<RunResult> {
  const { session, steps } = runSteps(scenario, profile);
  const record: LiveRecorder = (text, command, op) => {
    const from = session.events.length;
    const result = op();
    steps.push({
      index: steps.length,
      step: { line: 0, text, command, expect: null, byProfile: {} },
      ran: true,
      result,
      errno: errnoOf(result),
      output: null,
      oops: result === null && session.kernel.oops !== null,
      events: session.events.slice(from),
    });
    return result;
  };
  let ok: boolean;
  try {
    ok = await live(session.kernel, record);
  } catch (e) {
    session.kernel.close();
    throw e;
  }
  return { ...endRun(scenario, profile, session, steps, undefined, false), ok, tasks: null };
}

/** Runs `op` on the live kernel as a step shown as `text` (the command it stands for); returns its result. */
export type LiveRecorder = (text: string, command: Step['command'], op: () => number | null) => number | null;

/** Boots the scenario and runs its steps. */
function runSteps(
  scenario: Scenario,
  profile: string,
  hooks: {
    readonly onKernel?: (kernel: Kernel) => void;
    readonly afterStep?: (kernel: Kernel, index: number) => void;
  } = {},
): { session: Session; steps: StepRun[] } {
  const session = new Session(scenario, profile, hooks.onKernel);
  const k = session.kernel;
  const steps: StepRun[] = [];
  hooks.afterStep?.(k, -1);
  scenario.steps.forEach((step, index) => {
    if (k.oops !== null) {
      steps.push(notRunStep(index, step));
      hooks.afterStep?.(k, index);
      return;
    }
    const from = session.events.length;
    const r = session.exec(step.command);
    steps.push(ranStep(index, step, r, k.oops !== null, session.events.slice(from)));
    hooks.afterStep?.(k, index);
  });
  return { session, steps };
}

/** The result of a run: the end state, the expectations checked (when `check`), the kernel closed. */
function endRun(
  scenario: Scenario,
  profile: string,
  session: Session,
  steps: StepRun[],
  inspect: ((kernel: Kernel) => void) | undefined,
  check: boolean,
): Omit<RunResult, 'tasks'> {
  const k = session.kernel;
  session.recording.stop();
  const devices = session.devices();
  const records = k.dmesg.records();
  const expectations = check
    ? [
        ...steps.flatMap((s) => checkStep(s, profile)),
        ...checkEnd(mergeEnd(scenario.expect, scenario.expectByProfile[profile]), devices, k.oops, records),
      ].sort((a, b) => a.line - b.line)
    : [];
  const result: Omit<RunResult, 'tasks'> = {
    ...runHead(scenario, profile, session, steps),
    devices,
    oops: k.oops,
    injections: k.inject.list(),
    records,
    expectations,
    ok: expectations.every((e) => e.ok),
    events: [...session.events],
  };
  inspect?.(k);
  k.close();
  return result;
}

/** What every run result starts with: the scenario, the kernel it ran on, the boot, the steps. */
function runHead(scenario: Scenario, profile: string, session: Session, steps: StepRun[]) {
  const k = session.kernel;
  return {
    scenario,
    profile,
    base: k.profile.base,
    flags: [...k.profile.flags],
    plugins: k.plugins(),
    bootEvents: session.events.slice(0, session.bootEvents),
    steps,
  };
}

/** The log lines as dmesg prints them. */
export function dmesgLines(run: RunResult): string[] {
  return run.records.map(formatRecord);
}

/** A step's result as people read it: a notifier answer by name for `notify`, else as showResult(). */
export function stepResultText(s: StepRun): string {
  if (s.ran && s.result !== null && s.step.command.verb === 'notify') return notifyName(s.result);
  return showResult(s.result, s.ran);
}

/** A result as people read it: `13`, `-19 (ENODEV)`, `killed by the oops`. */
export function showResult(result: number | null, ran = true): string {
  if (!ran) return 'not run (the kernel was dead)';
  if (result === null) return 'oops (the task died)';
  const e = errnoOf(result);
  return e === null ? String(result) : `${result} (${e})`;
}

function showSpec(spec: ResultSpec): string {
  switch (spec.kind) {
    case 'exact':
      return spec.name ?? String(spec.value);
    case 'errno':
      return `${spec.value} (${spec.name})`;
    case 'ok':
      return 'ok (>= 0)';
    case 'error':
      return 'an error (< 0)';
    case 'oops':
      return 'oops';
    case 'skipped':
      return 'not run (the kernel was dead)';
  }
}

function specHolds(spec: ResultSpec, s: StepRun): boolean {
  if (spec.kind === 'skipped') return !s.ran;
  if (!s.ran) return false;
  switch (spec.kind) {
    case 'exact':
    case 'errno':
      return s.result === spec.value;
    case 'ok':
      return s.result !== null && s.result >= 0;
    case 'error':
      return s.result !== null && s.result < 0;
    case 'oops':
      return s.oops;
  }
  return false;
}

const chomp = (s: string) => (s.endsWith('\n') ? s.slice(0, -1) : s);

function checkStep(s: StepRun, profile: string): ExpectationResult[] {
  const x: StepExpect | null = s.step.byProfile[profile] ?? s.step.expect;
  if (x === null) return [];
  const out: ExpectationResult[] = [];
  const label = `step ${s.index + 1} \`${s.step.text}\``;
  if (x.result !== null) {
    const ok = specHolds(x.result, s);
    out.push({
      line: x.line,
      ok,
      message: `${label} returns ${showSpec(x.result)}${ok ? '' : `, got ${showResult(s.result, s.ran)}`}`,
      ...(ok ? {} : { expected: showSpec(x.result), actual: showResult(s.result, s.ran) }),
    });
  }
  if (x.output !== null) {
    const got = s.output === null ? null : chomp(s.output);
    const ok = got !== null && got === chomp(x.output);
    out.push({
      line: x.line,
      ok,
      message: `${label} prints ${JSON.stringify(chomp(x.output))}${ok ? '' : `, got ${got === null ? 'nothing' : JSON.stringify(got)}`}`,
      ...(ok ? {} : { expected: chomp(x.output), actual: got ?? '(nothing)' }),
    });
  }
  return out;
}

/** The expectations under one profile: the per-profile ones merged over the common ones. */
export function mergeEnd(common: EndExpect, mine: EndExpect | undefined): EndExpect {
  if (mine === undefined) return common;
  return {
    drivers: new Map([...common.drivers, ...mine.drivers]),
    oops: mine.oops ?? common.oops,
    dmesg: [...common.dmesg, ...mine.dmesg],
    dmesgAbsent: [...common.dmesgAbsent, ...mine.dmesgAbsent],
  };
}

function checkEnd(
  x: EndExpect,
  devices: RunResult['devices'],
  oops: Oops | null,
  records: readonly LogRecord[],
): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  const show = (d: string | null) => (d === null ? 'no driver' : d);
  for (const [dev, want] of x.drivers) {
    const got = devices[dev]?.driver ?? null;
    const ok = got === want.driver;
    out.push({
      line: want.line,
      ok,
      message: `${dev} ends with ${show(want.driver)}${ok ? '' : `, got ${show(got)}`}`,
      ...(ok ? {} : { expected: show(want.driver), actual: show(got) }),
    });
  }
  if (x.oops !== null) {
    const want = x.oops.want;
    const ok =
      want === 'none' ? oops === null : want === 'any' ? oops !== null : (oops?.message.includes(want) ?? false);
    const got = oops === null ? 'no oops' : `oops: ${oops.message}`;
    const wanted = want === 'none' ? 'no oops' : want === 'any' ? 'an oops' : `an oops with "${want}"`;
    out.push({
      line: x.oops.line,
      ok,
      message: `${wanted}${ok ? '' : `, got ${got}`}`,
      ...(ok ? {} : { expected: wanted, actual: got }),
    });
  }
  for (const d of x.dmesg) {
    const ok = records.some((r) => r.text.includes(d.text));
    out.push({
      line: d.line,
      ok,
      message: `dmesg contains "${d.text}"${ok ? '' : ': no line does'}`,
      ...(ok ? {} : { expected: d.text, actual: '(no such line)' }),
    });
  }
  for (const d of x.dmesgAbsent) {
    const hit = records.find((r) => r.text.includes(d.text));
    out.push({
      line: d.line,
      ok: hit === undefined,
      message: `dmesg has no "${d.text}"${hit === undefined ? '' : `: got "${hit.text}"`}`,
      ...(hit === undefined ? {} : { expected: '(no such line)', actual: hit.text }),
    });
  }
  return out;
}
