import type { InjectAnswer } from '@sim/core';
import type { PluginEntry } from '../plugins/registry.ts';

// The shapes of a scenario after it was parsed and validated. Every entry keeps the line it came from, so results,
// expectations and error messages can point back into the file.

/** A parsed step command: what a person would type at a shell on the machine. */
export type Command =
  | { readonly verb: 'echo'; readonly text: string; readonly path: string }
  | { readonly verb: 'cat'; readonly path: string }
  | { readonly verb: 'ls'; readonly path: string }
  | { readonly verb: 'readlink'; readonly path: string; readonly canonical: boolean }
  | { readonly verb: 'modprobe'; readonly driver: string }
  | { readonly verb: 'rmmod'; readonly driver: string }
  | { readonly verb: 'open'; readonly path: string }
  | { readonly verb: 'ioctl'; readonly path: string; readonly cmd: string; readonly arg: string | null }
  | { readonly verb: 'close'; readonly path: string }
  | { readonly verb: 'dmesg'; readonly clear: boolean }
  | { readonly verb: 'notify'; readonly bus: string; readonly event: string; readonly device: string | null }
  | ({ readonly verb: 'inject' } & RawNotifierInject)
  | ({ readonly verb: 'inject-probe' } & RawProbeInject);

/**
 * A notifier injection as written (in `inject:`, an `inject` step or `--inject`): the chain, the action (a name
 * such as BUS_NOTIFY_BIND_DRIVER, a number, or `any`), the answer as a notifier answer is written.
 */
export interface RawNotifierInject {
  readonly chain: string;
  readonly action: string | number;
  readonly answer: string | number;
  readonly priority?: number;
  readonly times?: number;
  readonly name?: string;
}

/** A probe fault as written: the driver (its bus when two buses have one of that name), the errno, the call. */
export interface RawProbeInject {
  readonly probe: string;
  readonly bus?: string;
  readonly errno: string | number;
  readonly nth?: number;
}

/**
 * A sysfs creation fault as written: the entry's name, the directory below which (optional), the errno, how many
 * times. It is in place from boot, before the topology's devices are added (as failslab= on the command line).
 */
export interface RawSysfsInject {
  readonly sysfs: string;
  readonly under?: string;
  readonly errno: string | number;
  readonly times?: number;
}

/** An injection checked and decoded, ready for `kernel.inject`. */
export type InjectDecl =
  | {
      readonly kind: 'notifier';
      /** Line in the scenario file; null for `--inject`. */
      readonly line: number | null;
      readonly chain: string;
      readonly action: number | 'any';
      /** The action as written (a name, a number, any). */
      readonly actionText: string;
      readonly answer: InjectAnswer;
      readonly priority: number | null;
      readonly times: number | null;
      readonly name: string | null;
      /** As a step would write it: `inject pci BUS_NOTIFY_BIND_DRIVER NOTIFY_BAD times 1`. */
      readonly text: string;
    }
  | {
      readonly kind: 'probe';
      readonly line: number | null;
      readonly driver: string;
      readonly bus: string;
      readonly errno: number;
      readonly nth: number | null;
      readonly text: string;
    }
  | {
      readonly kind: 'sysfs';
      readonly line: number | null;
      /** The entry's name, e.g. lpss_ltr. */
      readonly name: string;
      readonly under: string | null;
      readonly errno: number;
      readonly times: number | null;
      readonly text: string;
    };

/** The verbs a step may start with. */
export type Verb = Command['verb'];

/**
 * What a step is expected to return: an exact int, a negative errno by name (`-ENODEV`), `ok` (>= 0), `error`
 * (< 0), `oops` (the kernel died during the step) or `skipped` (the kernel had died before it, so it never ran).
 */
export type ResultSpec =
  | { readonly kind: 'exact'; readonly value: number; readonly name?: string }
  | { readonly kind: 'errno'; readonly name: string; readonly value: number }
  | { readonly kind: 'ok' }
  | { readonly kind: 'error' }
  | { readonly kind: 'oops' }
  | { readonly kind: 'skipped' };

/** A step's expectation: the result and/or the text it printed. */
export interface StepExpect {
  readonly result: ResultSpec | null;
  /** What `cat`, `ls` or `readlink` printed (compared without one trailing newline). */
  readonly output: string | null;
  /** Line of the expectation in the file. */
  readonly line: number;
}

/** One step. */
export interface Step {
  /** 1-based line of the step in the file. */
  readonly line: number;
  /** The text as written. */
  readonly text: string;
  readonly command: Command;
  /** Expectation for every profile (unless byProfile names the profile). */
  readonly expect: StepExpect | null;
  /** Expectations for named profiles. */
  readonly byProfile: Readonly<Record<string, StepExpect>>;
}

/** A PCI id as a driver declares it. */
export interface PciIdDecl {
  readonly vendor: number;
  readonly device: number;
  readonly subvendor?: number;
  readonly subdevice?: number;
  readonly class?: number;
  readonly classMask?: number;
}

/** A probe outcome as data (core's ProbeOutcome). */
export type ProbeDecl =
  | 'ok'
  | 'defer'
  | { readonly errno: number }
  | { readonly deferUntil: string }
  | { readonly sleepMs: number; readonly errno?: number };

/** A driver of the topology. */
export interface DriverDecl {
  readonly line: number;
  readonly name: string;
  readonly bus: string;
  readonly ids: readonly (PciIdDecl | string)[] | null;
  readonly ofMatch: readonly string[];
  readonly probe: ProbeDecl;
  /** Registered at boot (true) or only by a `modprobe` step (false). */
  readonly loaded: boolean;
  /** driver_managed_dma (6.12): its binds leave IOMMU group DMA ownership alone. */
  readonly driverManagedDma: boolean;
}

/** A device of the topology, as core's DeviceSpec plus the name it will have. */
export interface DeviceDecl {
  readonly line: number;
  /** dev_name() it will get: the PCI address, `name` / `name.id` on platform, `i2c-N`, `N-00aa`. */
  readonly name: string;
  readonly bus: string;
  /** The spec handed to kernel.addDevice(). */
  readonly spec: Readonly<Record<string, unknown>>;
  /** The IOMMU group the topology puts it in (used by the iommu-group plugin), or null. */
  readonly iommuGroup: number | null;
}

/** A notifier block declared as data (scenario files never run code). */
export interface NotifierDecl {
  readonly line: number;
  readonly bus: string;
  readonly name: string;
  readonly priority: number;
  /** The answer as an int, and as written. */
  readonly answer: number;
  readonly answerText: string;
  /** BUS_NOTIFY_* values it answers; other events get NOTIFY_DONE. Empty: every event. */
  /** BUS_NOTIFY_* names it answers (each kernel numbers them its own way); other events get NOTIFY_DONE. */
  readonly on: readonly string[];
  /** Device names it answers for; empty: every device. */
  readonly devices: readonly string[];
  /** Only while the device is being bound to one of these drivers; empty: any. */
  readonly drivers: readonly string[];
}

/** End-state expectations (one profile's view). */
export interface EndExpect {
  /** Device name -> driver name, or null for unbound. */
  readonly drivers: ReadonlyMap<string, { readonly driver: string | null; readonly line: number }>;
  /** `none`, `any`, or a text the oops message must contain. */
  readonly oops: { readonly want: 'none' | 'any' | string; readonly line: number } | null;
  readonly dmesg: readonly { readonly text: string; readonly line: number }[];
  readonly dmesgAbsent: readonly { readonly text: string; readonly line: number }[];
}

/** A plugin as a scenario uses it. */
export interface PluginUse {
  readonly line: number;
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** Its registry entry (a built-in plugin, or a module given with --plugin). */
  readonly entry: PluginEntry;
}

/** A task of the scenario (`tasks:`): a userspace process whose steps run concurrently with the other tasks'. */
export interface TaskDecl {
  readonly name: string;
  readonly line: number;
  readonly steps: readonly Step[];
}

/** How `sim explore` searches the scenario's schedules by default (`explore:`). */
export interface ExploreDecl {
  readonly line: number;
  /** 'dfs' (every schedule within the preemption bound) or 'pct' (randomized, with its guarantee). */
  readonly mode: 'dfs' | 'pct' | null;
  /** Preemption bound (dfs). */
  readonly bound: number | null;
  /** Executions at most (dfs), or runs (pct). */
  readonly limit: number | null;
  readonly seed: number | null;
  /** PCT's bug depth d. */
  readonly depth: number | null;
}

/** The verbs a task's steps may use: the system calls a process makes. */
export const TASK_VERBS: readonly Verb[] = ['echo', 'cat', 'open', 'ioctl', 'close'];

/** A validated scenario. */
export interface Scenario {
  readonly name: string;
  /** Where it came from: a path, or `builtin:<name>`. */
  readonly file: string;
  readonly description: string;
  /** The profile used when none is asked for. */
  readonly profile: string;
  /** The profiles it is written for (compare's default, and what the tests run it under). */
  readonly profiles: readonly string[];
  /** Profiles it does not apply to, each with the reason (`inapplicable:` in the file). */
  readonly inapplicable: Readonly<Record<string, string>>;
  readonly plugins: readonly PluginUse[];
  readonly machine: { readonly compatible: readonly string[]; readonly model: string } | null;
  readonly buses: readonly string[];
  readonly devices: readonly DeviceDecl[];
  readonly drivers: readonly DriverDecl[];
  readonly notifiers: readonly NotifierDecl[];
  /** Injections applied once the topology is up (the file's `inject:`, then any `--inject`). */
  readonly inject: readonly InjectDecl[];
  readonly steps: readonly Step[];
  /** Tasks that run concurrently after the steps (empty: none). */
  readonly tasks: readonly TaskDecl[];
  /** The task chosen at each switch point of the task run, replayed (then no preemption); null: none given. */
  readonly schedule: readonly string[] | null;
  /** `sim explore`'s defaults, or null. */
  readonly explore: ExploreDecl | null;
  /** Expectations for every profile, and per-profile ones to merge over them. */
  readonly expect: EndExpect;
  readonly expectByProfile: Readonly<Record<string, EndExpect>>;
}
