import type { Bus } from '../base/bus.ts';
import type { Device, OfNode } from '../base/device.ts';
import type { Driver, DriverSpec } from '../base/driver.ts';
import type { BusNotifyTable } from '../constants/bus-notify.ts';
import type { SysfsStat } from '../fs/sysfs.ts';
import type { Injector } from '../inject/inject.ts';
import type { ChainByKind } from '../notifier/create.ts';
import type { ChainKind, NotifierBlock } from '../notifier/notifier-block.ts';
import type { Oops } from './bug.ts';
import type { LogLevel, LogRecord } from './printk.ts';
import type { FlagDef, Profile, ProfileDef, ProfileInput } from './profile.ts';
import type { Sleepable } from './sched.ts';
import type { RunTasksOptions, TaskRunReport, TaskSpec } from './tasks.ts';
import type { NotifyOutcome, TraceEvent } from './trace.ts';
import type { Trace } from './tracer.ts';
import type { KernelBase, KernelVersion } from './versions.ts';

/** A plugin: a plain object from a factory such as `vfioPlugin(options)`; see docs/adding-a-plugin.md. */
export interface Plugin {
  /** Unique among the plugins of one kernel; appears in errors and traces. */
  readonly name: string;
  /** Names of plugins that must be in use before this one. */
  readonly dependencies?: readonly string[];
  /** Behaviour flags this plugin reads with `kernel.hasFlag()`. */
  readonly flags?: readonly FlagDef[];
  /** Profiles this plugin adds (using core's flags, its own and its dependencies'). */
  readonly profiles?: readonly ProfileDef[];
  /**
   * Base kernels this plugin does not model, each with the reason (what that kernel changed, and in which release).
   * Using the plugin on a kernel of such a base is a SimError (SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL) giving the reason.
   */
  readonly unsupported?: Readonly<Partial<Record<KernelBase, string>>>;
  /** The initcall: registers notifiers, drivers, sysfs and /dev entries; returns the teardown. */
  setup(kernel: Kernel): (() => void) | undefined;
  /**
   * Drives this plugin's notifiers through their non-OK answers (the due-diligence audit calls it on a kernel of
   * its own). Optional.
   */
  exercise?(kernel: Kernel): void;
}

/** The machine the kernel boots on, as far as plugins care (keystone and powerpc notifiers check it). */
export interface Machine {
  /** Device-tree compatible strings of the machine, most specific first, e.g. ['ti,k2hk', 'ti,keystone']. */
  readonly compatible: readonly string[];
  readonly model: string;
}

/** createKernel() options. */
export interface KernelOptions {
  /** The kernel behaviour: a profile name, or { base?, flags } (base '4.12' or '6.12'). Default 'v4.12'. */
  readonly profile?: ProfileInput;
  /** Plugins to use, in order (their flags and profiles are known when the profile is resolved). */
  readonly plugins?: readonly Plugin[];
  /** Keep the pr_debug/dev_dbg lines of drivers/base in the log, as dynamic debug would. Default true. */
  readonly dynamicDebug?: boolean;
  /** Records the log buffer holds (oldest dropped first). Default 8192. */
  readonly logRecords?: number;
  /** The machine. Default: a generic x86 PC. */
  readonly machine?: Partial<Machine>;
  /**
   * A listener on the trace stream from the kernel's first event: the plugins' setups (their dmesg lines, drivers
   * and notifiers) are in it, which a `kernel.trace.subscribe()` after createKernel() misses. It stays subscribed
   * for the kernel's life.
   */
  readonly trace?: (event: TraceEvent) => void;
  /**
   * Whether hot chains compile their walk (generated code, the fast tier). Default true. false keeps every chain on
   * the interpreted walk, for a page under a Content-Security-Policy without 'unsafe-eval' (code generation would be
   * refused there and reported as a violation). Behaviour is identical either way.
   */
  readonly compileChains?: boolean;
}

/** A PCI device as topology (hot-plugged by addDevice, found again by a rescan after its removal). */
export interface PciDeviceSpec {
  readonly bus: 'pci';
  /** Domain:bus:slot.function, e.g. '0000:01:00.1'. */
  readonly address: string;
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor?: number;
  readonly subsystemDevice?: number;
  /** 24-bit class code, e.g. 0x040300 for HD audio. Default 0. */
  readonly class?: number;
  /** 0 normal, 1 bridge, 2 CardBus. Default 0. */
  readonly hdrType?: number;
  /** Address of the bridge it sits behind; default: the root bus. */
  readonly parent?: string;
  /** Revision id (config byte 0x08, sysfs `revision`). Default 0. */
  readonly revision?: number;
  /** pci_dev->irq (sysfs `irq`, config interrupt line; pin INTA when not 0). Default 0. */
  readonly irq?: number;
  /** A PCI Express function: 4096 bytes of config space with a PCI Express capability. Default false. */
  readonly pcie?: boolean;
  readonly props?: Readonly<Record<string, unknown>>;
}

/** A platform device. */
export interface PlatformDeviceSpec {
  readonly bus: 'platform';
  /** pdev->name. */
  readonly name: string;
  /** pdev->id: -1 (default) for none, a number, or 'auto'. */
  readonly id?: number | 'auto';
  /** Set for devices created from the device tree. */
  readonly ofNode?: OfNode | null;
  readonly parent?: string;
  readonly props?: Readonly<Record<string, unknown>>;
}

/** An i2c adapter. */
export interface I2cAdapterSpec {
  readonly bus: 'i2c';
  readonly kind: 'adapter';
  /** Adapter name, e.g. 'SMBus I801 adapter'. */
  readonly name: string;
  /** A fixed number (i2c_add_numbered_adapter); default: the next free one (i2c_add_adapter). */
  readonly nr?: number;
  readonly parent?: string;
  readonly props?: Readonly<Record<string, unknown>>;
}

/** An i2c client on an adapter. */
export interface I2cClientSpec {
  readonly bus: 'i2c';
  readonly kind: 'client';
  /** client->name, matched against i2c id tables. */
  readonly name: string;
  /** The adapter's number. */
  readonly adapter: number;
  /** 7-bit address. */
  readonly addr: number;
  readonly ofNode?: OfNode | null;
  readonly props?: Readonly<Record<string, unknown>>;
}

/** A device on a bus registered with busRegister(). */
export interface GenericDeviceSpec {
  readonly bus: string;
  readonly name: string;
  readonly parent?: string;
  readonly ofNode?: OfNode | null;
  readonly props?: Readonly<Record<string, unknown>>;
}

/** Any device spec. */
export type DeviceSpec = PciDeviceSpec | PlatformDeviceSpec | I2cAdapterSpec | I2cClientSpec | GenericDeviceSpec;

/** A bus of your own (struct bus_type): its match, probe and remove. */
export interface BusTypeSpec {
  readonly name: string;
  /** 0 no match, >0 match, <0 error; default: everything matches. */
  readonly match?: (dev: Device, drv: Driver) => number;
  /** bus->probe: when given, the driver's own probe is not called by the core. */
  readonly probe?: (dev: Device) => number;
  readonly remove?: (dev: Device) => void;
}

/** sim's /sys: the kernel's paths, each store function's exact return. */
export interface SysfsApi {
  /** `cat path`: the text, or a negative errno. */
  read(path: string): string | number;
  /** read(2) of the whole file: a binary attribute's bytes (`config`), a text one's UTF-8, or a negative errno. */
  readBytes(path: string): Uint8Array | number;
  /** `echo text > path`: bytes written or a negative errno; null if the writing task died in an oops. */
  write(path: string, text: string): number | null;
  /** `readlink path`: the target relative to the link, or a negative errno. */
  readlink(path: string): string | number;
  /** `realpath path`, or a negative errno. */
  realpath(path: string): string | number;
  /** `ls path`: sorted names, or a negative errno. */
  list(path: string): string[] | number;
  stat(path: string): SysfsStat | number;
  exists(path: string): boolean;
  /** For kernel code (plugins): sysfs_create_dir(); 0 or a negative errno. */
  createDir(path: string): number;
  /** For kernel code: an attribute file. */
  createFile(
    path: string,
    file: {
      readonly mode: number;
      readonly show?: () => string | number;
      readonly store?: (buf: string, count: number) => number;
    },
  ): number;
  /** For kernel code: sysfs_create_link(). */
  createLink(path: string, target: string): number;
  /** For kernel code: remove a file, link or directory made with the calls above. */
  remove(path: string): number;
}

/** An open file of /dev, as a character driver's file operations see it. */
export interface OpenFile {
  readonly fd: number;
  readonly path: string;
  /** file->private_data, for the driver's own use. */
  private: unknown;
}

/** A character driver's file operations (struct file_operations): each returns the kernel's int. */
export interface FileOperations {
  open?(file: OpenFile): number;
  release?(file: OpenFile): void;
  ioctl?(file: OpenFile, cmd: string, arg: unknown): number;
}

/** sim's /dev: device nodes with their file operations, and the user's open files. */
export interface DevfsApi {
  /** For kernel code: creates /dev/<name> (e.g. 'vfio/7'); 0 or -EEXIST. */
  register(name: string, fops: FileOperations): number;
  /** For kernel code: removes /dev/<name>; open files keep working. 0 or -ENOENT. */
  unregister(name: string): number;
  /** The nodes, as /dev paths, sorted. */
  list(): string[];
  exists(path: string): boolean;
  /** open(2): a file descriptor (>= 3) or a negative errno; null if the task died in an oops. */
  open(path: string): number | null;
  /** ioctl(2) with a command name such as 'VFIO_GROUP_SET_CONTAINER'. */
  ioctl(fd: number, cmd: string, arg?: unknown): number | null;
  /** close(2). */
  close(fd: number): number | null;
  /** The open files. */
  openFiles(): { fd: number; path: string }[];
  /** For kernel code: the open file behind a descriptor (fdget()), e.g. a container fd passed to an ioctl. */
  file(fd: number): OpenFile | undefined;
  /**
   * For kernel code: models anon_inode_getfd(), fs/anon_inodes.c: a new open file with no /dev node (its path is
   * `anon_inode:<name>`, e.g. `anon_inode:[vfio-device]`) whose operations are `fops`; returns the fd (>= 3).
   */
  anonInodeGetfd(name: string, fops: FileOperations, priv: unknown): number;
}

/** The kernel log (`dmesg`). */
export interface Dmesg {
  /** The records, oldest first, up to `level` (default: all, debug included). */
  records(options?: { level?: LogLevel }): LogRecord[];
  /** The records as dmesg prints them: `[    0.001000] text`. */
  lines(options?: { level?: LogLevel; timestamps?: boolean }): string[];
  /** `dmesg -C`. */
  clear(): void;
}

/** The simulated kernel. */
export interface Kernel {
  /** The profile it runs under (`profile.base` is the base kernel: '4.12' or '6.12'). */
  readonly profile: Profile;
  /**
   * What the base kernel does where v4.12 and 6.12 differ (`version.base`, `version.dmaOwnership`,
   * `version.iommuGroupChain`, ...): the one place kernel code asks which kernel it runs in.
   */
  readonly version: KernelVersion;
  /**
   * The running kernel's BUS_NOTIFY_* values (`kernel.busEvents.BUS_NOTIFY_BIND_DRIVER` is 4 on v4.12, 3 on v6.12).
   * A bus notifier written for every kernel compares its action with these; the top-level constants are v4.12's.
   */
  readonly busEvents: BusNotifyTable;
  /** Whether a flag is on; an unknown flag is a SimError listing the known ones. */
  hasFlag(flag: string): boolean;
  /** Flags known to this kernel (core's and its plugins'). */
  knownFlags(): FlagDef[];
  /** Profiles known to this kernel. */
  knownProfiles(): ProfileDef[];
  readonly machine: Machine;

  /** Uses a plugin (checks its dependencies and name, runs its setup); returns the kernel. */
  use(plugin: Plugin): Kernel;
  /** Names of the plugins in use, in setup order. */
  plugins(): string[];
  /** Runs the plugins' teardowns in reverse order; the kernel cannot be used afterwards. */
  close(): void;

  /** A registered bus, by name; a SimError for an unknown one. */
  bus(name: string): Bus;
  buses(): Bus[];
  /** Models bus_register(), drivers/base/bus.c, for a bus of your own. */
  busRegister(type: BusTypeSpec): Bus;
  /** A registered device, by name (on one bus, or the first bus that has it). */
  device(name: string, bus?: string): Device | undefined;
  /** Every registered device, bus by bus. */
  devices(): Device[];
  /** A registered driver. */
  driver(name: string, bus: string): Driver | undefined;

  /** Adds (hot-plugs) a device: device_add() with its notifications and probing. 0 or a negative errno. */
  addDevice(spec: DeviceSpec): number | null;
  /** Removes a device (and the devices below it): device_del() with its notifications. */
  removeDevice(name: string, bus?: string): number | null;
  /** Models driver_register(): 0, -EBUSY for a name already on the bus. */
  registerDriver(spec: DriverSpec): number | null;
  /** Models driver_unregister(): every device released, last bound first. */
  unregisterDriver(name: string, bus: string): number | null;

  readonly sysfs: SysfsApi;
  readonly dev: DevfsApi;
  readonly dmesg: Dmesg;
  readonly trace: Trace;

  /** The oops record once the kernel died, else null. */
  readonly oops: Oops | null;
  /** Nanoseconds on the kernel's deterministic clock. */
  now(): number;

  // --- for kernel code (plugins) ----------------------------------------------------------------------------
  /** printk(): one line at a level. */
  printk(level: LogLevel, text: string): void;
  /** dev_printk(): `<driver or bus> <device>: text`. */
  devPrintk(level: LogLevel, dev: Device, text: string): void;
  /** True when pr_debug/dev_dbg lines are kept. */
  readonly dynamicDebug: boolean;
  /** pr_debug(): a KERN_DEBUG line, kept only with dynamic debug (build long texts only `if (kernel.dynamicDebug)`). */
  prDebug(text: string): void;
  /** dev_dbg(): as devPrintk at KERN_DEBUG, kept only with dynamic debug. */
  devDbg(dev: Device, text: string): void;
  /** WARN(): the warning splat, then on. */
  warn(where: string, text: string): void;
  /** BUG(): records the oops and kills the running task; never returns. */
  bug(where: string, message?: string): never;
  /**
   * For a wait the running task would never see end, because only this task could end it (e.g.
   * vfio_del_group_dev() waiting for a device fd the same user holds): prints the hung-task report
   * ("INFO: task sim:1 blocked for more than 120 seconds.", `detail`, the call trace), records a `hung-task`
   * splat, and ends the running operation with -EDEADLK. State stays where the task stopped. Never returns.
   */
  hang(where: string, detail: string): never;
  /** Runs `fn` as kernel function `name` (it appears in an oops's call path). */
  withFrame<T>(name: string, fn: () => T): T;
  /**
   * Models wait_event_timeout(), include/linux/wait.h, for kernel code that sleeps (a driver's probe or remove
   * returning a generator): `const woken = yield* kernel.waitEvent('what', () => cond, 10_000)`. True once `until()`
   * holds, false when `timeoutMs` of simulated time passed first (omitted: no timeout). Outside a task run nobody
   * else can make the condition true: the clock moves to the timeout, and a wait past the hung-task timeout (120 s)
   * is reported hung and ends the operation with -EDEADLK.
   */
  waitEvent(what: string, until: () => boolean, timeoutMs?: number): Sleepable<boolean>;
  /** Models msleep(), kernel/time/timer.c: `yield* kernel.msleep(20)` in a probe or remove that sleeps. */
  msleep(ms: number): Sleepable<void>;
  /**
   * Runs userspace tasks concurrently: each task's body is a generator function making system calls
   * (`yield* sys.write(path, text)`), and `choose` picks who runs at each switch point (a system call about to
   * enter the kernel, a lock about to be taken, a wait); by default nobody is preempted. The kernel worker
   * (deferred probing) is a task of its own. Returns each task's result, the transitions, and the tasks reported hung.
   */
  runTasks(tasks: readonly TaskSpec[], options?: RunTasksOptions): TaskRunReport;
  /** A notifier chain whose hazards the kernel reports and whose calls the trace shows. */
  createChain<K extends ChainKind, D = unknown>(
    kind: K,
    name: string,
    actionName?: (action: number) => string,
  ): ChainByKind<D>[K];
  /** Fault injection: injecting notifier blocks on any chain, failing probes. */
  readonly inject: Injector;
  /** Names of the chains this kernel made (bus chains, plugins' chains), for injection and tracing. */
  chains(): string[];
  /** Forgets a chain made with createChain() once it is gone (e.g. a released IOMMU group's chain). */
  dropChain(chain: { name: string }): void;
  /** Calls a chain as kernel code does, naming the caller in the trace. */
  callChain<D>(
    chain: { callChain(action: number, data: D): number; name: string },
    action: number,
    data: D,
    caller: string,
  ): number;
  /** Records what the caller did with a chain's answer (for the trace and the audit). */
  traceOutcome(
    chain: { name: string },
    action: number,
    ret: number,
    caller: string,
    outcome: NotifyOutcome,
    effect: string,
  ): void;
  /** True while the trace is on (check before building an outcome's text). */
  readonly tracing: boolean;
}

/** A bus notifier block: its data is the device (NULL only when a caller passes none). */
export type BusNotifierBlock = NotifierBlock<Device | null>;
