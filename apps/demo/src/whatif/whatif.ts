import type { Kernel } from '@sim/core';
import { type ChainCallJson, chainCalls } from '../format/calls.ts';
import { showResult } from '../run/run.ts';
import { errnoOf, Session } from '../run/session.ts';
import { parseStep } from '../scenario/steps.ts';
import type { Command, Scenario } from '../scenario/types.ts';
import { type MachineState, machineState } from './state.ts';

/** A proposed action: a sysfs write as a step writes it (`echo 0000:01:00.1 > /sys/bus/pci/drivers/X/bind`). */
export type WhatIfAction = string;

/** A value before and after the actions. */
export type Change<T> = readonly [before: T, after: T];

/** A device whose driver or viability the actions change. */
export interface DeviceChange {
  readonly device: string;
  readonly driver: Change<string | null>;
  readonly viable: Change<boolean | null>;
  /** The verdict after, in words (why it is or is not viable now), or null. */
  readonly reason: string | null;
}

/** An IOMMU group whose viability or owner the actions change. */
export interface GroupChange {
  readonly group: number;
  readonly viable: Change<boolean | null>;
  readonly owner: Change<string>;
  /** Viable before, not viable after: isolation is broken. */
  readonly broken: boolean;
  /** Why it is not viable after: the devices that made it so, with their verdicts. */
  readonly why: readonly string[];
}

/** The outcome of the actions under one profile. */
export interface WhatIfOutcome {
  readonly profile: string;
  readonly base: string;
  /** The steps replayed before the actions (fewer than asked when the run's kernel died first). */
  readonly replayed: number;
  /** Why nothing could be tried: the kernel was already dead after the replay (its oops); else null. */
  readonly dead: string | null;
  /** Each action's return, in order (an action after one that killed the kernel does not run). */
  readonly returns: readonly {
    readonly action: string;
    readonly ran: boolean;
    readonly result: number | null;
    readonly errno: string | null;
    /** As people read it: `-19 (ENODEV)`, `oops (the task died)`. */
    readonly text: string;
  }[];
  /** The oops the actions caused, or null. */
  readonly oops: { readonly where: string; readonly message: string } | null;
  readonly devices: readonly DeviceChange[];
  readonly groups: readonly GroupChange[];
  /** The notifier chain calls the actions made (as the json output's steps[].calls). */
  readonly calls: readonly ChainCallJson[];
  /** The kernel log lines the actions printed. */
  readonly dmesg: readonly string[];
}

/** A what-if over the profiles. */
export interface WhatIfResult {
  readonly scenario: string;
  /** The state the actions are tried on: after this many steps of the scenario (0: right after the boot). */
  readonly after: number;
  readonly actions: readonly string[];
  readonly outcomes: readonly WhatIfOutcome[];
}

/** Checks the actions; returns the parsed commands or the first problem, naming the action and the fix. */
export function parseActions(actions: readonly string[]): { commands: Command[] } | { error: string } {
  if (actions.length === 0)
    return { error: 'a what-if needs an action such as "echo 0000:01:00.1 > /sys/bus/pci/drivers/snd_hda_intel/bind"' };
  const commands: Command[] = [];
  for (const a of actions) {
    const c = parseStep(a);
    if ('message' in c) return { error: `what-if action '${a}': ${c.message}; expected ${c.expected}` };
    if (c.verb !== 'echo') {
      return {
        error: `what-if action '${a}' is a ${c.verb}; a what-if is a sysfs write: echo TEXT > /sys/PATH (bind, unbind, driver_override, drivers_probe ...)`,
      };
    }
    commands.push(c);
  }
  return { commands };
}

/**
 * What the actions would do under each profile: the scenario's machine booted and its first `after` steps replayed
 * (as `sim run` runs them), the state read, the actions run, the state read again. The page runs this same
 * function in the browser (with { compileChains: false }).
 */
export function whatIf(
  scenario: Scenario,
  profiles: readonly string[],
  actions: readonly string[],
  after: number,
  kernelOptions: { readonly compileChains?: boolean } = {},
): WhatIfResult {
  const parsed = parseActions(actions);
  if ('error' in parsed) throw new Error(parsed.error);
  const n = Math.max(0, Math.min(after, scenario.steps.length));
  const outcomes = profiles.map((p) => tryOne(scenario, p, actions, parsed.commands, n, kernelOptions));
  return { scenario: scenario.name, after: n, actions: [...actions], outcomes };
}

function tryOne(
  scenario: Scenario,
  profile: string,
  actions: readonly string[],
  commands: readonly Command[],
  after: number,
  kernelOptions: { readonly compileChains?: boolean },
): WhatIfOutcome {
  const session = new Session(scenario, profile, undefined, kernelOptions);
  const k: Kernel = session.kernel;
  let replayed = 0;
  for (const step of scenario.steps.slice(0, after)) {
    if (k.oops !== null) break;
    session.exec(step.command);
    replayed++;
  }
  const base = k.profile.base;
  if (k.oops !== null) {
    const dead = k.oops.message;
    k.close();
    return {
      profile,
      base,
      replayed,
      dead,
      returns: actions.map((action) => ({
        action,
        ran: false,
        result: null,
        errno: null,
        text: showResult(null, false),
      })),
      oops: null,
      devices: [],
      groups: [],
      calls: [],
      dmesg: [],
    };
  }
  const before = machineState(k);
  const from = session.events.length;
  const returns: WhatIfOutcome['returns'][number][] = [];
  commands.forEach((c, i) => {
    if (k.oops !== null) {
      returns.push({ action: actions[i]!, ran: false, result: null, errno: null, text: showResult(null, false) });
      return;
    }
    const { result } = session.exec(c);
    returns.push({ action: actions[i]!, ran: true, result, errno: errnoOf(result), text: showResult(result) });
  });
  const events = session.events.slice(from);
  const afterState = machineState(k);
  // Read again: the actions may have killed the kernel (TypeScript narrowed k.oops to null above).
  const died = k.oops as { where: string; message: string } | null;
  const oops = died === null ? null : { where: died.where, message: died.message };
  k.close();
  return {
    profile,
    base,
    replayed,
    dead: null,
    returns,
    oops,
    ...diff(before, afterState),
    calls: chainCalls(events),
    dmesg: events.flatMap((e) => (e.type === 'dmesg' ? [e.text] : [])),
  };
}

/** The devices and groups that changed between two states. */
export function diff(before: MachineState, after: MachineState): { devices: DeviceChange[]; groups: GroupChange[] } {
  const was = new Map(before.devices.map((d) => [d.name, d]));
  const devices: DeviceChange[] = [];
  for (const d of after.devices) {
    const b = was.get(d.name);
    const driverBefore = b?.driver ?? null;
    const viableBefore = b?.viable ?? null;
    if (driverBefore !== d.driver || viableBefore !== d.viable) {
      devices.push({
        device: d.name,
        driver: [driverBefore, d.driver],
        viable: [viableBefore, d.viable],
        reason: d.reason,
      });
    }
  }
  const now = new Map(after.devices.map((d) => [d.name, d]));
  for (const b of before.devices) {
    if (!now.has(b.name))
      devices.push({ device: b.name, driver: [b.driver, null], viable: [b.viable, null], reason: 'removed' });
  }
  const groupsBefore = new Map(before.groups.map((g) => [g.id, g]));
  const groups: GroupChange[] = [];
  for (const g of after.groups) {
    const b = groupsBefore.get(g.id);
    const viableBefore = b?.viable ?? null;
    const ownerBefore = b?.owner ?? 'no such group';
    if (viableBefore === g.viable && ownerBefore === g.owner) continue;
    const broken = viableBefore === true && g.viable === false;
    const why = g.devices.flatMap((name) => {
      const d = now.get(name);
      return d !== undefined && d.viable === false ? [`${name} (${d.driver ?? 'no driver'}): ${d.reason}`] : [];
    });
    groups.push({ group: g.id, viable: [viableBefore, g.viable], owner: [ownerBefore, g.owner], broken, why });
  }
  return { devices, groups };
}

const yesNo = (v: boolean | null) => (v === null ? 'not judged' : v ? 'viable' : 'NOT viable');

/** The what-if as text: per profile, the returns, then what else changed. */
export function formatWhatIf(r: WhatIfResult): string {
  const out: string[] = [];
  out.push(
    `what if ${r.actions.map((a) => `\`${a}\``).join(', then ')} after ${r.after === 0 ? 'the boot' : `step ${r.after}`} of ${r.scenario}:`,
  );
  for (const o of r.outcomes) {
    out.push('');
    if (o.dead !== null) {
      out.push(`${o.profile}: not tried: the kernel died at step ${o.replayed} of the run (${o.dead})`);
      continue;
    }
    for (const ret of o.returns) out.push(`${o.profile}: \`${ret.action}\` returns ${ret.text}`);
    if (o.oops !== null) out.push(`  oops: ${o.oops.message} (${o.oops.where})`);
    for (const d of o.devices) {
      const drv =
        d.driver[0] === d.driver[1]
          ? `${d.driver[1] ?? 'no driver'}`
          : `${d.driver[0] ?? 'no driver'} -> ${d.driver[1] ?? 'no driver'}`;
      const via =
        d.viable[0] === d.viable[1]
          ? ''
          : `; ${yesNo(d.viable[0])} -> ${yesNo(d.viable[1])}${d.reason === null ? '' : ` (${d.reason})`}`;
      out.push(`  device ${d.device}: ${drv}${via}`);
    }
    for (const g of o.groups) {
      const head = g.broken
        ? `  group ${g.group} BREAKS: viable -> NOT viable`
        : `  group ${g.group}: ${yesNo(g.viable[0])} -> ${yesNo(g.viable[1])}`;
      out.push(head + (g.owner[0] === g.owner[1] ? '' : `; owner ${g.owner[0]} -> ${g.owner[1]}`));
      for (const w of g.why) out.push(`    because ${w}`);
    }
    if (o.devices.length === 0 && o.groups.length === 0 && o.oops === null) out.push('  nothing else changes');
  }
  return `${out.join('\n')}\n`;
}

/** The profiles a what-if is tried under by default: the scenario's own, but those it does not apply to. */
export function whatIfProfiles(scenario: Scenario, first?: string): string[] {
  const own = scenario.profiles.filter((p) => !Object.hasOwn(scenario.inapplicable, p));
  return first === undefined || own.includes(first) ? own : [first, ...own];
}
