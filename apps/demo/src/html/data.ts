import { type AuditReport, formatTimestamp, type TraceEvent } from '@sim/core';
import { type ChainCallJson, chainCalls } from '../format/calls.ts';
import { firstDifference, signature } from '../format/compare.ts';
import { type RunResult, showResult, stepResultText } from '../run/run.ts';
import type { InjectDecl } from '../scenario/types.ts';
import type { MachineState } from '../whatif/state.ts';
import type { WhatIfResult } from '../whatif/whatif.ts';

/** One step as the page shows it (the result and calls are the json output's). */
export interface PageStep {
  readonly line: number;
  readonly text: string;
  readonly ran: boolean;
  readonly result: number | null;
  readonly errno: string | null;
  /** As the text output reads it: `-19 (ENODEV)`, `NOTIFY_BAD` for notify, `not run (the kernel was dead)`. */
  readonly resultText: string;
  readonly output: string | null;
  readonly oops: boolean;
  readonly calls: readonly ChainCallJson[];
  readonly writes: readonly { readonly path: string; readonly text: string; readonly ret: string }[];
  /** dmesg lines (of PageRun.dmesg) printed by the end of this step. */
  readonly dmesgTo: number;
  /** Index into PageRun.states of the machine after this step. */
  readonly state: number;
}

/** A run as the page shows it. */
export interface PageRun {
  readonly profile: string;
  readonly base: string;
  readonly flags: readonly string[];
  readonly ok: boolean;
  readonly steps: readonly PageStep[];
  /** The distinct machine states; steps point into it (a 3,000-step run repeats few). */
  readonly states: readonly MachineState[];
  /** Index into states of the machine after the boot. */
  readonly bootState: number;
  /** The kernel log as it was printed, boot first. */
  readonly dmesg: readonly string[];
  readonly bootDmesg: number;
  readonly oops: { readonly where: string; readonly message: string; readonly callPath: readonly string[] } | null;
  readonly expectations: readonly { readonly line: number; readonly ok: boolean; readonly message: string }[];
}

/** What the page needs to run a what-if itself: the scenario's text and the injections given on the command line. */
export interface PageSource {
  readonly text: string;
  readonly file: string;
  /** Every injection of the run (the file's and --inject's), checked. */
  readonly inject: readonly InjectDecl[];
}

/** Everything one page shows; embedded in it as JSON. */
export interface PageData {
  readonly kind: 'run' | 'compare' | 'explain' | 'audit';
  readonly title: string;
  readonly scenario: { readonly name: string; readonly file: string; readonly description: string } | null;
  readonly runs: readonly PageRun[];
  /** compare: the first step whose result or effects differ (as `sim compare` marks it), else -1. */
  readonly firstDifference: number;
  /** compare: the steps that differ. */
  readonly differs: readonly number[];
  /** The step the page opens at (0-based). */
  readonly openAt: number;
  readonly explain: { readonly group: number; readonly text: string } | null;
  /** A what-if the command line computed (explain --what-if --format html), shown as the page opens. */
  readonly whatIf: WhatIfResult | null;
  /** The profiles the page's what-if tries. */
  readonly whatIfProfiles: readonly string[];
  /** For the in-page what-if; null with the reason in sourceNote. */
  readonly source: PageSource | null;
  readonly sourceNote: string | null;
  readonly audit: AuditReport | null;
}

/** Collects the machine's states during a run (runScenario's afterStep hook). */
export class StateRecorder {
  readonly states: MachineState[] = [];
  private readonly index = new Map<string, number>();
  /** The state index after the boot (-1) and after each step. */
  readonly at: number[] = [];
  add(s: MachineState): void {
    const key = JSON.stringify(s);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.states.length;
      this.states.push(s);
      this.index.set(key, i);
    }
    this.at.push(i);
  }
}

function dmesgOf(events: readonly TraceEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'dmesg' ? [`${formatTimestamp(e.ts)} ${e.text}`] : []));
}

/** A run and the states recorded during it, as the page shows it. */
export function pageRun(run: RunResult, rec: StateRecorder): PageRun {
  const dmesg = dmesgOf(run.bootEvents);
  const bootDmesg = dmesg.length;
  const steps = run.steps.map((s, i): PageStep => {
    dmesg.push(...dmesgOf(s.events));
    return {
      line: s.step.line,
      text: s.step.text,
      ran: s.ran,
      result: s.result,
      errno: s.errno,
      resultText: stepResultText(s),
      output: s.output,
      oops: s.oops,
      calls: chainCalls(s.events),
      writes: s.events.flatMap((e) =>
        e.type === 'sysfs' && e.what === 'write' ? [{ path: e.path, text: e.text, ret: showResult(e.ret) }] : [],
      ),
      dmesgTo: dmesg.length,
      state: rec.at[i + 1] ?? rec.at[0]!,
    };
  });
  return {
    profile: run.profile,
    base: run.base,
    flags: run.flags,
    ok: run.ok,
    steps,
    states: rec.states,
    bootState: rec.at[0]!,
    dmesg,
    bootDmesg,
    oops:
      run.oops === null ? null : { where: run.oops.where, message: run.oops.message, callPath: [...run.oops.callPath] },
    expectations: run.expectations.map((e) => ({ line: e.line, ok: e.ok, message: e.message })),
  };
}

/** The steps whose result or effects differ between runs (the first of them is compare's first difference). */
export function differingSteps(runs: readonly RunResult[]): { first: number; all: number[] } {
  const n = Math.max(0, ...runs.map((r) => r.steps.length));
  const all: number[] = [];
  for (let i = 0; i < n; i++) {
    const sigs = new Set(runs.map((r) => (r.steps[i] === undefined ? 'none' : signature(r.steps[i]!))));
    if (sigs.size > 1) all.push(i);
  }
  return { first: firstDifference(runs), all };
}
