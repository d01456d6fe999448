import { dmesgLines, type RunResult } from '../run/run.ts';
import { type ChainCallJson, chainCalls } from './calls.ts';

/** The json output: one object per run. README.md documents it; it is an interface, change it with care. */
export interface RunJson {
  readonly scenario: string;
  readonly file: string;
  readonly profile: string;
  /** The profile's base kernel ('4.12' or '6.12'). Added with the v6.12 profile. */
  readonly base: string;
  readonly flags: readonly string[];
  readonly plugins: readonly string[];
  readonly steps: readonly {
    readonly line: number;
    readonly step: string;
    readonly ran: boolean;
    readonly result: number | null;
    readonly errno: string | null;
    readonly output: string | null;
    /** The step's notifier chain calls (added with the html format; see format/calls.ts). */
    readonly calls: readonly ChainCallJson[];
    /** The task (`tasks:`) that ran the step; absent for the steps of `steps:` (added with tasks). */
    readonly task?: string;
  }[];
  /** With `tasks:`: the task chosen at each switch point, and the tasks reported hung (added with tasks). */
  readonly tasks?: { readonly schedule: readonly string[]; readonly hung: readonly string[] };
  readonly state: {
    readonly devices: Readonly<Record<string, { bus: string; driver: string | null; iommuGroup: number | null }>>;
  };
  readonly oops: { readonly where: string; readonly message: string; readonly callPath: readonly string[] } | null;
  readonly injections: readonly string[];
  readonly dmesg: readonly string[];
  readonly expectations: readonly {
    readonly line: number;
    readonly ok: boolean;
    readonly message: string;
    readonly expected?: string;
    readonly actual?: string;
  }[];
  readonly ok: boolean;
}

/** A run as the documented json object. */
export function formatJson(run: RunResult): RunJson {
  return {
    scenario: run.scenario.name,
    file: run.scenario.file,
    profile: run.profile,
    base: run.base,
    flags: run.flags,
    plugins: run.plugins,
    steps: run.steps.map((s) => ({
      line: s.step.line,
      step: s.step.text,
      ran: s.ran,
      result: s.result,
      errno: s.errno,
      output: s.output,
      calls: chainCalls(s.events),
      ...(s.task === undefined ? {} : { task: s.task }),
    })),
    ...(run.tasks === null ? {} : { tasks: { schedule: [...run.tasks.schedule], hung: [...run.tasks.hung] } }),
    state: { devices: run.devices },
    oops:
      run.oops === null ? null : { where: run.oops.where, message: run.oops.message, callPath: [...run.oops.callPath] },
    injections: [...run.injections],
    dmesg: dmesgLines(run),
    expectations: run.expectations.map((e) => ({ ...e })),
    ok: run.ok,
  };
}
