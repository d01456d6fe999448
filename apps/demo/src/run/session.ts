import {
  createKernel,
  type Device,
  type DriverSpec,
  describeThrown,
  EBADF,
  EINVAL,
  ENOENT,
  errname,
  type Kernel,
  NOTIFY_DONE,
  type Plugin,
  type TaskSyscalls,
  type TraceEvent,
  type TraceRecording,
} from '@sim/core';
import { applyInject, kernelContext, resolveInject } from '../scenario/inject.ts';
import type { Command, DriverDecl, NotifierDecl, Scenario } from '../scenario/types.ts';

/** What one command returned, as the kernel returned it. */
export interface CommandResult {
  /** Bytes written or read, an fd, 0, or a negative errno; null when the kernel died during the command. */
  readonly result: number | null;
  /** What a read printed (cat, ls, readlink, dmesg), else null. */
  readonly output: string | null;
}

/** What `cat` gives: the bytes read and the text, or the errno. */
function catResult(r: string | number): CommandResult {
  return typeof r === 'string'
    ? { result: new TextEncoder().encode(r).length, output: r }
    : { result: r, output: null };
}

/** What an ioctl step gives: the result, and the structure the kernel filled in when it has one to show. */
function ioctlResult(
  result: number | null,
  arg: unknown,
  out: { show(arg: object): string } | undefined,
): CommandResult {
  return { result, output: out !== undefined && result !== null && result >= 0 ? out.show(arg as object) : null };
}

/** The errno name of a negative result (`ENODEV`), else null. */
export function errnoOf(result: number | null): string | null {
  return result !== null && result < 0 ? (errname(result) ?? null) : null;
}

/**
 * A declared notifier as a notifier block (data only: it answers what the file says), its events in the kernel's
 * own numbering.
 */
function notifierBlock(kernel: Kernel, n: NotifierDecl) {
  const on = n.on.map((e) => kernel.busEvents.value(e)!);
  return {
    name: n.name,
    priority: n.priority,
    notifierCall: (action: number, dev: Device | null): number => {
      if (on.length > 0 && !on.includes(action)) return NOTIFY_DONE;
      if (n.devices.length > 0 && (dev === null || !n.devices.includes(dev.name))) return NOTIFY_DONE;
      if (n.drivers.length > 0 && (dev?.driver == null || !n.drivers.includes(dev.driver.name))) return NOTIFY_DONE;
      return n.answer;
    },
  };
}

/** A driver declared as data, as core's DriverSpec. */
export function driverSpec(d: DriverDecl): DriverSpec {
  return {
    name: d.name,
    bus: d.bus,
    ...(d.ids === null ? {} : { ids: d.ids }),
    ofMatch: d.ofMatch,
    probe: d.probe,
    ...(d.driverManagedDma ? { driverManagedDma: true } : {}),
  };
}

/** Makes the plugins a scenario names, in order, with their options. */
export function makePlugins(scenario: Scenario): Plugin[] {
  return scenario.plugins.map((p) => p.entry.create(p.options, { devices: scenario.devices }));
}

/**
 * A live kernel booted from a scenario's topology, on which commands run as a person would type them. The run,
 * the shell and the tests all drive one of these; the kernel does the work.
 */
export class Session {
  readonly kernel: Kernel;
  readonly recording: TraceRecording;
  /** Open files by path (the last open of each path). */
  private readonly fds = new Map<string, number>();
  /** Where the boot's events end in the recording. */
  readonly bootEvents: number;
  /** ioctl commands whose argument is a structure the kernel fills in (from the plugins in use). */
  private readonly outArgs = new Map<string, { make(): object; show(arg: object): string }>();

  constructor(
    readonly scenario: Scenario,
    readonly profile: string,
    /** Called with the kernel once its plugins are set up, before the topology boots (e.g. to start an audit). */
    onKernel?: (kernel: Kernel) => void,
    /** createKernel() options besides the scenario's (the page runs with { compileChains: false }). */
    kernelOptions: { readonly compileChains?: boolean } = {},
  ) {
    // One stream from the kernel's first event: the plugins' setups (their dmesg lines, drivers, notifiers) are
    // the boot's events as much as the topology's are, in every output format.
    const events: TraceEvent[] = [];
    let recording = true;
    this.recording = {
      events,
      stop: () => {
        recording = false;
      },
    };
    this.kernel = createKernel({
      ...kernelOptions,
      profile,
      plugins: makePlugins(scenario),
      ...(scenario.machine === null ? {} : { machine: scenario.machine }),
      trace: (e) => {
        if (recording) events.push(e);
      },
    });
    onKernel?.(this.kernel);
    for (const p of scenario.plugins) {
      for (const [cmd, spec] of Object.entries(p.entry.ioctls ?? {})) {
        if (spec.out !== undefined) this.outArgs.set(cmd, spec.out);
      }
    }
    const k = this.kernel;
    for (const bus of scenario.buses) k.busRegister({ name: bus });
    for (const n of scenario.notifiers) k.bus(n.bus).registerNotifier(notifierBlock(k, n));
    // sysfs creation faults are in place from boot, as failslab= on the kernel command line.
    for (const x of scenario.inject) if (x.kind === 'sysfs') applyInject(k, x);
    for (const d of scenario.devices) {
      if (k.oops !== null) break;
      k.addDevice(d.spec as never);
    }
    for (const d of scenario.drivers) {
      if (k.oops !== null) break;
      if (d.loaded) k.registerDriver(driverSpec(d));
    }
    // Injections once the machine is up, as notifier-error-inject is loaded and set up after boot.
    for (const x of scenario.inject) {
      if (k.oops !== null) break;
      if (x.kind !== 'sysfs') applyInject(k, x);
    }
    this.bootEvents = this.recording.events.length;
  }

  /** The events recorded so far. */
  get events(): readonly TraceEvent[] {
    return this.recording.events;
  }

  /** Runs one command. The kernel must be alive (check kernel.oops first). */
  exec(c: Command): CommandResult {
    const k = this.kernel;
    switch (c.verb) {
      case 'echo':
        return { result: k.sysfs.write(c.path, c.text), output: null };
      case 'cat':
        return catResult(k.sysfs.read(c.path));
      case 'ls': {
        const r = k.sysfs.list(c.path);
        return typeof r === 'number'
          ? { result: r, output: null }
          : { result: 0, output: r.map((n) => `${n}\n`).join('') };
      }
      case 'readlink': {
        const r = c.canonical ? k.sysfs.realpath(c.path) : k.sysfs.readlink(c.path);
        return typeof r === 'number' ? { result: r, output: null } : { result: 0, output: `${r}\n` };
      }
      case 'modprobe': {
        const d = this.scenario.drivers.find((x) => x.name === c.driver)!;
        if (k.driver(d.name, d.bus) !== undefined) return { result: 0, output: null };
        return { result: k.registerDriver(driverSpec(d)), output: null };
      }
      case 'rmmod': {
        const d = this.scenario.drivers.find((x) => x.name === c.driver)!;
        if (k.driver(d.name, d.bus) === undefined) return { result: -ENOENT, output: null };
        return { result: k.unregisterDriver(d.name, d.bus), output: null };
      }
      case 'open': {
        const fd = k.dev.open(c.path);
        if (fd !== null && fd >= 0) this.fds.set(c.path, fd);
        return { result: fd, output: null };
      }
      case 'ioctl': {
        const { fd, arg, out } = this.ioctlCall(c, this.fds);
        return ioctlResult(k.dev.ioctl(fd, c.cmd, arg), arg, out);
      }
      case 'close': {
        const fd = this.fds.get(c.path) ?? -EBADF;
        this.fds.delete(c.path);
        return { result: k.dev.close(fd), output: null };
      }
      case 'notify': {
        // A call of the bus chain as kernel code makes it (for data no driver-core caller passes, such as NULL).
        const bus = k.bus(c.bus);
        const dev = c.device === null ? null : (k.device(c.device, c.bus) ?? null);
        const action = k.busEvents.value(c.event)!;
        try {
          return { result: k.callChain(bus.notifier, action, dev, 'sim notify'), output: null };
        } catch (e) {
          // A block that oopses (iommu_bus_notifier on NULL data) kills the task here, as in any operation: the
          // kernel recorded the oops; the step's result is the dead task's. A block that throws (a plugin module's
          // bug) is an oops too, as core makes it inside an operation.
          if (k.oops === null) {
            try {
              k.bug('sim notify', `BUG: unhandled exception in sim notify: ${describeThrown(e)}`);
            } catch {
              // bug() never returns: the oops is recorded.
            }
          }
          return { result: null, output: null };
        }
      }
      case 'inject':
      case 'inject-probe': {
        // As writing notifier-error-inject's debugfs files: a chain or driver that is not there is -ENOENT.
        const r = resolveInject(
          c,
          kernelContext(
            k,
            this.scenario.plugins.map((p) => p.entry),
          ),
          null,
        );
        if ('problems' in r) {
          const field = r.problems[0]!.field;
          return { result: field === 'probe' ? -ENOENT : -EINVAL, output: null };
        }
        if (r.decl.kind === 'notifier' && !k.chains().includes(r.decl.chain)) return { result: -ENOENT, output: null };
        const ret = applyInject(k, r.decl);
        return { result: typeof ret === 'number' ? ret : -EINVAL, output: null };
      }
      case 'dmesg': {
        if (c.clear) {
          k.dmesg.clear();
          return { result: 0, output: null };
        }
        const lines = k.dmesg.lines();
        return { result: 0, output: lines.map((l) => `${l}\n`).join('') };
      }
    }
  }

  /** The open files a task starts with: the steps' (a forked process inherits its parent's descriptors). */
  forkFds(): Map<string, number> {
    return new Map(this.fds);
  }

  /** An ioctl step's fd and argument, from the open files `fds` (a structure the kernel fills in, an fd, a number). */
  private ioctlCall(
    c: Extract<Command, { verb: 'ioctl' }>,
    fds: ReadonlyMap<string, number>,
  ): { fd: number; arg: unknown; out: { show(arg: object): string } | undefined } {
    const out = this.outArgs.get(c.cmd);
    let arg: unknown = c.arg;
    if (out !== undefined) arg = out.make();
    else if (c.arg?.startsWith('/dev/')) arg = fds.get(c.arg) ?? -EBADF;
    else if (c.arg !== null && /^-?(0x[0-9a-f]+|\d+)$/i.test(c.arg)) arg = Number(c.arg);
    return { fd: fds.get(c.path) ?? -EBADF, arg: arg ?? undefined, out };
  }

  /**
   * A task's step (TASK_VERBS): its system call made through the task's `sys`, with the task's own open files.
   * The scenario loader lets no other verb into a task.
   */
  *execIn(sys: TaskSyscalls, c: Command, fds: Map<string, number>): Generator<unknown, CommandResult, boolean> {
    switch (c.verb) {
      case 'echo':
        return { result: yield* sys.write(c.path, c.text), output: null };
      case 'cat':
        return catResult(yield* sys.read(c.path));
      case 'open': {
        const fd = yield* sys.open(c.path);
        if (fd !== null && fd >= 0) fds.set(c.path, fd);
        return { result: fd, output: null };
      }
      case 'ioctl': {
        const { fd, arg, out } = this.ioctlCall(c, fds);
        return ioctlResult(yield* sys.ioctl(fd, c.cmd, arg), arg, out);
      }
      case 'close': {
        const fd = fds.get(c.path) ?? -EBADF;
        fds.delete(c.path);
        return { result: yield* sys.close(fd), output: null };
      }
      default:
        throw new Error(`a task cannot run '${c.verb}' (the scenario loader refuses it)`);
    }
  }

  /** Each device at this moment: its bus, driver and IOMMU group. */
  devices(): Record<string, { bus: string; driver: string | null; iommuGroup: number | null }> {
    // Without a prototype, so that any name the kernel accepts (`__proto__`, `constructor`) is an own key.
    const out: Record<string, { bus: string; driver: string | null; iommuGroup: number | null }> = Object.create(null);
    for (const d of this.kernel.devices()) {
      out[d.name] = { bus: d.bus.name, driver: d.driver?.name ?? null, iommuGroup: d.iommuGroup?.id ?? null };
    }
    return out;
  }
}
