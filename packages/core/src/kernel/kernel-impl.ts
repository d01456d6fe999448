import type { Bus, BusOps } from '../base/bus.ts';
import { BusImpl } from '../base/bus.ts';
import { DeviceContainer, deviceDel } from '../base/core.ts';
import { deferredProbeWorkFunc } from '../base/dd.ts';
import type { Device, DeviceImpl } from '../base/device.ts';
import type { Driver, DriverImpl, DriverSpec } from '../base/driver.ts';
import { driverRegister, driverUnregister, makeDriver } from '../base/driver.ts';
import { customBusOps } from '../bus/generic.ts';
import { i2cBusOps } from '../bus/i2c.ts';
import { pciBusOps } from '../bus/pci.ts';
import { platformBusOps } from '../bus/platform.ts';
import type { BusNotifyTable } from '../constants/bus-notify.ts';
import { EDEADLK, ENOENT } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { Devfs } from '../fs/devfs.ts';
import { type KernfsNode, StaticDir, ViewDir } from '../fs/kernfs.ts';
import { Sysfs } from '../fs/sysfs.ts';
import { createInjector, type Injector } from '../inject/inject.ts';
import type { NotifierHead } from '../notifier/chain.ts';
import { type ChainByKind, createNotifierChain } from '../notifier/create.ts';
import type { ChainKind, NotifierBlock, Splat } from '../notifier/notifier-block.ts';
import { Deadlock, KernelOops, type Oops } from './bug.ts';
import type {
  BusTypeSpec,
  DevfsApi,
  DeviceSpec,
  Dmesg,
  Kernel,
  KernelOptions,
  Machine,
  Plugin,
  SysfsApi,
} from './kernel.ts';
import {
  formatRecord,
  KERN_CRIT,
  KERN_DEBUG,
  KERN_ERR,
  KERN_INFO,
  KERN_WARNING,
  LogBuffer,
  type LogLevel,
  type LogRecord,
} from './printk.ts';
import {
  CORE_FLAGS,
  CORE_PROFILES,
  type FlagDef,
  type Profile,
  type ProfileDef,
  resolveProfile,
  STOP_BIND_ON_NOTIFY_BAD,
} from './profile.ts';
import type { NotifyOutcome } from './trace.ts';
import { type Trace, Tracer } from './tracer.ts';
import { BUS_NOTIFY_VOID_EFFECT, type KernelVersion, kernelVersion } from './versions.ts';

interface ChainEntry {
  chain: NotifierHead<unknown>;
  namer: (action: number) => string;
  undo: (() => void) | null;
}

/** A work item (struct work_struct): queued at most once at a time. */
export interface WorkItem {
  readonly name: string;
  readonly fn: () => void;
  queued: boolean;
}

/** A probe fault in place: `at` is the probe call that fails (null: every call). */
export interface ProbeFaultEntry {
  readonly driver: DriverImpl;
  readonly errno: number;
  readonly at: number | null;
}

interface PluginEntry {
  plugin: Plugin;
  teardown: (() => void) | null;
}

/** A prepared operation: validated, ready to run inside the kernel. */
export type Prepared = () => number;

const NS_PER_MS = 1_000_000;
const NS_PER_PRINTK = 1_000;
const MAX_WORK_ITEMS = 10_000_000;

function deviceNameOf(data: unknown): string | null {
  if (typeof data === 'object' && data !== null && 'name' in data && typeof data.name === 'string') return data.name;
  return null;
}

/** The simulated kernel. See `Kernel` for the public surface; the rest is for the driver-core modules. */
export class KernelImpl implements Kernel {
  readonly profile: Profile;
  readonly version: KernelVersion;
  readonly busEvents: BusNotifyTable;
  readonly machine: Machine;
  readonly dynamicDebug: boolean;
  /** dynamicDebug, short: guards the pr_debug lines on hot paths. */
  readonly dbg: boolean;
  /** Core's seed flag, read on every bind. */
  readonly stopBindOnNotifyBad: boolean;

  private readonly flagDefs: FlagDef[] = [...CORE_FLAGS];
  private readonly profileDefs: ProfileDef[] = [...CORE_PROFILES];
  private readonly activeFlags: Set<string>;
  private readonly pluginEntries: PluginEntry[] = [];

  readonly busesByName = new Map<string, BusImpl>();
  readonly log: LogBuffer;
  private clock = 0;
  /** The simulated call path, outermost first. */
  readonly stack: string[] = [];
  private oopsRecord: Oops | null = null;
  private closedFlag = false;
  private opDepth = 0;
  /** For each operation on the stack: where its frame is, and its detail (the path written, the device added). */
  private readonly opFrames: number[] = [];
  private readonly opDetails: string[] = [];

  readonly tracer: Tracer;
  /** The trace stream (the same object as `tracer`, typed for users). */
  get trace(): Trace {
    return this.tracer;
  }
  private readonly chains_: ChainEntry[] = [];
  /** Who is calling the chain being called (for the trace). */
  private caller: string | null = null;
  /** Each chain's frame in the call path, made once. */
  private readonly chainFrames = new WeakMap<object, string>();

  readonly deferredPending = new Set<DeviceImpl>();
  readonly deferredActive = new Set<DeviceImpl>();
  deferredTriggerCount = 0;
  deferredProbeEnable = true;
  private readonly workQueue: WorkItem[] = [];
  /** deferred_probe_work. */
  readonly deferredWork: WorkItem = {
    name: 'deferred_probe_work_func',
    fn: () => deferredProbeWorkFunc(this),
    queued: false,
  };

  private readonly sysfsImpl: Sysfs;
  readonly sysfs: SysfsApi;
  private readonly devfs: Devfs;
  readonly dev: DevfsApi;
  readonly dmesg: Dmesg;
  private readonly containers = new Map<string, DeviceContainer>();
  /** Devices directly under /sys/devices. */
  readonly topContainer: DeviceContainer;
  readonly sysClass = new StaticDir();
  readonly sysKernel = new StaticDir();

  constructor(options: KernelOptions = {}) {
    const plugins = options.plugins ?? [];
    if (!Array.isArray(plugins)) {
      throw new SimError(
        'SIM_ERR_KERNEL_BAD_OPTION',
        `createKernel({ plugins }) takes an array of plugins, got ${show(plugins)}`,
      );
    }
    const logRecords = options.logRecords ?? 8192;
    if (!Number.isInteger(logRecords) || logRecords < 1) {
      throw new SimError('SIM_ERR_KERNEL_BAD_OPTION', `logRecords must be a positive integer, got ${show(logRecords)}`);
    }
    this.dynamicDebug = options.dynamicDebug ?? true;
    this.dbg = this.dynamicDebug;
    this.log = new LogBuffer(logRecords);
    const machine = options.machine ?? {};
    this.machine = {
      compatible: [...(machine.compatible ?? [])],
      model: machine.model ?? 'Generic PC',
    };
    for (const p of plugins)
      this.checkPlugin(
        p,
        plugins.slice(0, plugins.indexOf(p)).map((q) => q.name),
      );
    for (const p of plugins) this.learn(p);
    this.profile = resolveProfile(options.profile ?? 'v4.12', this.profileDefs, this.flagDefs);
    this.version = kernelVersion(this.profile.base);
    this.busEvents = this.version.busEvents;
    for (const p of plugins) this.checkSupported(p);
    this.activeFlags = new Set(this.profile.flags);
    this.stopBindOnNotifyBad = this.activeFlags.has(STOP_BIND_ON_NOTIFY_BAD);

    this.tracer = new Tracer(
      () => this.clock,
      (on) => this.toggleChainObservers(on),
    );
    this.topContainer = new DeviceContainer(this);
    this.sysfsImpl = new Sysfs(this.buildSysRoot(), (message) => this.warn('fs/sysfs/dir.c', message));
    this.sysfs = this.makeSysfsApi();
    this.devfs = new Devfs(this);
    this.dev = this.devfs;
    this.dmesg = {
      records: (o) => this.log.records(o?.level ?? KERN_DEBUG),
      lines: (o) =>
        this.log.records(o?.level ?? KERN_DEBUG).map((r) => (o?.timestamps === false ? r.text : formatRecord(r))),
      clear: () => this.log.clear(),
    };

    for (const ops of [platformBusOps(this), pciBusOps(this), i2cBusOps(this)]) this.addBus(ops);
    for (const p of plugins) this.setupPlugin(p);
  }

  // --- profile and plugins ---------------------------------------------------------------------------------

  hasFlag(flag: string): boolean {
    if (!this.flagDefs.some((f) => f.name === flag)) {
      throw new SimError(
        'SIM_ERR_PROFILE_UNKNOWN_FLAG',
        `unknown flag ${show(flag)}; known flags: ${this.flagDefs.map((f) => f.name).join(', ')}`,
      );
    }
    return this.activeFlags.has(flag);
  }

  knownFlags(): FlagDef[] {
    return [...this.flagDefs];
  }

  knownProfiles(): ProfileDef[] {
    return [...this.profileDefs];
  }

  use(plugin: Plugin): Kernel {
    this.checkUsable();
    this.checkPlugin(
      plugin,
      this.pluginEntries.map((e) => e.plugin.name),
    );
    // A setup that throws (a SimError for a bad option) leaves the kernel as it was: not in use, flags unlearned.
    this.checkSupported(plugin);
    const flagCount = this.flagDefs.length;
    const profileCount = this.profileDefs.length;
    try {
      this.learn(plugin);
      this.setupPlugin(plugin);
    } catch (e) {
      this.flagDefs.length = flagCount;
      this.profileDefs.length = profileCount;
      const i = this.pluginEntries.findIndex((entry) => entry.plugin === plugin);
      if (i !== -1) this.pluginEntries.splice(i, 1);
      throw e;
    }
    return this;
  }

  plugins(): string[] {
    return this.pluginEntries.map((e) => e.plugin.name);
  }

  close(): void {
    if (this.closedFlag || this.closing) return;
    // Teardowns run on a live kernel (they may unregister drivers, which is an operation), last plugin first; a
    // dead kernel has nothing left to tear down. A teardown that throws does not stop the others.
    this.closing = true;
    let failure: unknown = null;
    if (this.oopsRecord === null) {
      for (const e of [...this.pluginEntries].reverse()) {
        try {
          e.teardown?.();
        } catch (err) {
          failure ??= err;
        }
      }
    }
    this.closedFlag = true;
    if (failure !== null) throw failure;
  }

  private closing = false;

  private checkPlugin(plugin: Plugin, inUse: readonly string[]): void {
    if (typeof plugin !== 'object' || plugin === null || typeof plugin.name !== 'string' || plugin.name === '') {
      throw new SimError(
        'SIM_ERR_PLUGIN_BAD',
        `a plugin is an object { name, dependencies?, setup(kernel) }, got ${show(plugin)}; use a factory such as vfioPlugin()`,
      );
    }
    if (typeof plugin.setup !== 'function') {
      throw new SimError('SIM_ERR_PLUGIN_BAD', `plugin '${plugin.name}' has no setup(kernel) function`);
    }
    if (inUse.includes(plugin.name)) {
      throw new SimError(
        'SIM_ERR_PLUGIN_DUPLICATE',
        `plugin '${plugin.name}' is already in use on this kernel; use each plugin once (plugins in use: ${inUse.join(', ')})`,
      );
    }
    for (const dep of plugin.dependencies ?? []) {
      if (!inUse.includes(dep)) {
        throw new SimError(
          'SIM_ERR_PLUGIN_DEPENDENCY',
          `plugin '${plugin.name}' depends on plugin '${dep}', which is not in use; use '${dep}' before '${plugin.name}' (plugins in use: ${inUse.length > 0 ? inUse.join(', ') : 'none'})`,
        );
      }
    }
  }

  /** Refuses a plugin that does not model this kernel's base (its own reason, which names the release). */
  private checkSupported(plugin: Plugin): void {
    const unsupported = plugin.unsupported;
    if (typeof unsupported !== 'object' || unsupported === null) return;
    const reason = unsupported[this.version.base];
    if (reason === undefined) return;
    throw new SimError(
      'SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL',
      `plugin '${plugin.name}' does not run on Linux ${this.version.base} (profile '${this.profile.name}'): ${reason}; use a profile on base 4.12 (v4.12, v4.12+bind-veto, rfc-2017)`,
    );
  }

  private learn(plugin: Plugin): void {
    for (const f of plugin.flags ?? []) {
      if (this.flagDefs.some((g) => g.name === f.name)) {
        throw new SimError(
          'SIM_ERR_PLUGIN_BAD',
          `plugin '${plugin.name}' declares flag '${f.name}', which is already known`,
        );
      }
      this.flagDefs.push(f);
    }
    for (const p of plugin.profiles ?? []) {
      if (this.profileDefs.some((q) => q.name === p.name)) {
        throw new SimError(
          'SIM_ERR_PLUGIN_BAD',
          `plugin '${plugin.name}' declares profile '${p.name}', which is already known`,
        );
      }
      this.profileDefs.push(p);
    }
  }

  private setupPlugin(plugin: Plugin): void {
    const entry: PluginEntry = { plugin, teardown: null };
    this.pluginEntries.push(entry);
    const teardown = plugin.setup(this);
    entry.teardown = typeof teardown === 'function' ? teardown : null;
  }

  // --- buses, devices, drivers -----------------------------------------------------------------------------

  /** Models bus_register(), drivers/base/bus.c. */
  addBus(ops: BusOps): BusImpl {
    const bus = new BusImpl(this, ops);
    this.busesByName.set(ops.name, bus);
    return bus;
  }

  bus(name: string): Bus {
    return this.busOrThrow(name, 'kernel.bus()');
  }

  busOrThrow(name: unknown, who: string): BusImpl {
    const bus = typeof name === 'string' ? this.busesByName.get(name) : undefined;
    if (bus === undefined) {
      throw new SimError(
        'SIM_ERR_BUS_UNKNOWN',
        `${who}: no bus named ${show(name)}; known buses: ${[...this.busesByName.keys()].join(', ')} (add one with kernel.busRegister())`,
      );
    }
    return bus;
  }

  buses(): Bus[] {
    return [...this.busesByName.values()];
  }

  busRegister(type: BusTypeSpec): Bus {
    this.checkUsable();
    if (typeof type !== 'object' || type === null || typeof type.name !== 'string' || !/^[\w.-]+$/.test(type.name)) {
      throw new SimError(
        'SIM_ERR_BUS_BAD_SPEC',
        `a bus needs { name } with letters, digits, '.', '_' or '-', got ${show(type)}`,
      );
    }
    if (this.busesByName.has(type.name)) {
      throw new SimError('SIM_ERR_BUS_BAD_SPEC', `bus '${type.name}' is already registered; pick another name`);
    }
    for (const key of ['match', 'probe', 'remove'] as const) {
      if (type[key] !== undefined && typeof type[key] !== 'function') {
        throw new SimError(
          'SIM_ERR_BUS_BAD_SPEC',
          `bus '${type.name}': ${key} must be a function, got ${show(type[key])}`,
        );
      }
    }
    return this.addBus(customBusOps(this, type));
  }

  device(name: string, bus?: string): Device | undefined {
    if (bus !== undefined) return this.busOrThrow(bus, 'kernel.device()').devicesByName.get(name);
    for (const b of this.busesByName.values()) {
      const dev = b.devicesByName.get(name);
      if (dev !== undefined) return dev;
    }
    return undefined;
  }

  /** A device by name for an API call; a SimError naming the fix when there is none. */
  deviceOrThrow(name: unknown, bus: string | undefined, who: string): DeviceImpl {
    const dev = typeof name === 'string' ? (this.device(name, bus) as DeviceImpl | undefined) : undefined;
    if (dev === undefined) {
      throw new SimError(
        'SIM_ERR_DEVICE_UNKNOWN',
        `${who}: no device named ${show(name)}${bus === undefined ? '' : ` on bus '${bus}'`}; registered devices: ${this.deviceNames()}`,
      );
    }
    return dev;
  }

  private deviceNames(): string {
    const names = this.devices().map((d) => d.name);
    return names.length === 0 ? 'none' : names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  }

  devices(): Device[] {
    const out: Device[] = [];
    for (const b of this.busesByName.values()) out.push(...b.devicesByName.values());
    return out;
  }

  driver(name: string, bus: string): Driver | undefined {
    return this.busOrThrow(bus, 'kernel.driver()').driversByName.get(name);
  }

  /** True when some device is bound to a driver of this name (on any bus). */
  isDriverBound(name: string): boolean {
    for (const b of this.busesByName.values()) {
      const drv = b.driversByName.get(name);
      if (drv !== undefined && drv.devices_.size > 0) return true;
    }
    return false;
  }

  addDevice(spec: DeviceSpec): number | null {
    this.checkUsable();
    if (typeof spec !== 'object' || spec === null) {
      throw new SimError(
        'SIM_ERR_DEVICE_BAD_SPEC',
        `addDevice() takes a device spec such as { bus: 'pci', address, vendor, device }, got ${show(spec)}`,
      );
    }
    const bus = this.busOrThrow(spec.bus, 'addDevice()');
    const run = bus.ops.prepareAdd(spec);
    return this.op('device_add', describeSpec(spec), run);
  }

  removeDevice(name: string, bus?: string): number | null {
    this.checkUsable();
    const dev = this.deviceOrThrow(name, bus, 'removeDevice()');
    return this.op('device_unregister', dev.name, () => {
      if (!dev.isRegistered) return 0;
      if (dev.bus.ops.removeDevice !== undefined) return dev.bus.ops.removeDevice(dev);
      this.unregisterTree(dev);
      return 0;
    });
  }

  /** Models device_unregister() of a device and, first, the devices below it (last added first). */
  unregisterTree(dev: DeviceImpl): void {
    if (dev.children !== null) {
      const kids = [...dev.children.values()].reverse();
      for (const child of kids) if (child.isRegistered) this.unregisterTree(child);
    }
    deviceDel(this, dev);
  }

  registerDriver(spec: DriverSpec): number | null {
    this.checkUsable();
    const drv = makeDriver(this, spec);
    return this.op('driver_register', `${drv.bus.name}/${drv.name}`, () => {
      const ret = driverRegister(this, drv);
      if (this.tracing)
        this.tracer.emit({ type: 'driver', what: 'register', driver: drv.name, bus: drv.bus.name, ret });
      return ret;
    });
  }

  unregisterDriver(name: string, bus: string): number | null {
    this.checkUsable();
    const b = this.busOrThrow(bus, 'unregisterDriver()');
    const drv = b.driversByName.get(name);
    if (drv === undefined) {
      throw new SimError(
        'SIM_ERR_DRIVER_UNKNOWN',
        `unregisterDriver(): no driver ${show(name)} on bus '${bus}'; registered: ${[...b.driversByName.keys()].join(', ') || 'none'}`,
      );
    }
    return this.op('driver_unregister', `${bus}/${name}`, () => {
      driverUnregister(this, drv);
      b.ops.driverUnregistered?.(drv);
      if (this.tracing) this.tracer.emit({ type: 'driver', what: 'unregister', driver: drv.name, bus, ret: 0 });
      return 0;
    });
  }

  // --- operations ------------------------------------------------------------------------------------------

  get oops(): Oops | null {
    return this.oopsRecord;
  }

  now(): number {
    return this.clock;
  }

  /** Throws when the kernel can no longer run operations. */
  checkUsable(): void {
    if (this.closedFlag) {
      throw new SimError('SIM_ERR_KERNEL_CLOSED', 'this kernel was closed; create a new one with createKernel()');
    }
    if (this.oopsRecord !== null) {
      throw new SimError(
        'SIM_ERR_KERNEL_DEAD',
        `this kernel died: ${this.oopsRecord.message} (in ${this.oopsRecord.callPath.join(' > ')}); a dead kernel runs nothing more: read kernel.oops and kernel.dmesg, then create a new kernel`,
      );
    }
  }

  /**
   * Runs one operation (a system call, or a kernel API call from outside): the outermost one advances the clock,
   * runs queued work (deferred probing) before returning, and turns an oops into a `null` result. A lock this task
   * already holds makes the operation return -EDEADLK.
   */
  op(name: string, detail: string, fn: Prepared): number | null {
    const outer = this.opDepth === 0;
    if (outer) {
      this.checkUsable();
      this.clock = (Math.floor(this.clock / NS_PER_MS) + 1) * NS_PER_MS;
    }
    const depth = this.stack.length;
    this.opFrames[this.opDepth] = depth;
    this.opDetails[this.opDepth] = detail;
    this.opDepth++;
    this.stack.push(name);
    if (this.tracing) this.tracer.emit({ type: 'op.begin', op: name, detail });
    let ret: number | null;
    try {
      ret = fn();
      if (outer) this.settle();
    } catch (e) {
      if (e instanceof Deadlock) {
        ret = -EDEADLK;
      } else if (!outer) {
        throw e;
      } else if (e instanceof KernelOops) {
        ret = null;
      } else {
        this.recordOops(
          this.stack.at(-1) ?? name,
          `BUG: unhandled exception in ${this.stack.at(-1) ?? name}: ${e instanceof Error ? e.message : String(e)}`,
          e,
        );
        ret = null;
      }
    } finally {
      this.stack.length = depth;
      this.opDepth--;
    }
    if (this.tracing) this.tracer.emit({ type: 'op.end', op: name, ret });
    return ret;
  }

  /** Models schedule_work(): queues the item (if it is not queued already) for the end of the operation. */
  scheduleWork(item: WorkItem): void {
    if (item.queued) return;
    item.queued = true;
    this.workQueue.push(item);
  }

  /** Runs queued work until none is left, as the workqueue would before the next command. */
  private settle(): void {
    let budget = MAX_WORK_ITEMS;
    while (this.workQueue.length > 0) {
      if (--budget === 0) this.die('kernel/workqueue.c', 'BUG: workqueue lockup - work items keep requeueing');
      const item = this.workQueue.shift()!;
      item.queued = false;
      this.stack.push(item.name);
      item.fn();
      this.stack.pop();
    }
  }

  enter(frame: string): void {
    this.stack.push(frame);
  }

  leave(): void {
    this.stack.pop();
  }

  withFrame<T>(name: string, fn: () => T): T {
    this.stack.push(name);
    const depth = this.stack.length;
    const out = fn();
    this.stack.length = depth - 1;
    return out;
  }

  // --- locks -----------------------------------------------------------------------------------------------

  /** device_lock(dev): a lock this task holds already is a deadlock (splat, then -EDEADLK for the operation). */
  deviceLock(dev: DeviceImpl): void {
    if (dev.locked) this.deadlock(dev);
    dev.locked = true;
  }

  /** device_lock(dev) around fn. */
  withDeviceLock(dev: DeviceImpl, fn: () => number): number {
    if (dev.locked) this.deadlock(dev);
    dev.locked = true;
    try {
      return fn();
    } finally {
      dev.locked = false;
    }
  }

  /** The parent's lock (if any, and if asked), then the device's. */
  withDeviceLocks(dev: DeviceImpl, parentToo: boolean, fn: () => number): number {
    const parent = parentToo ? dev.parent : null;
    if (parent === null) return this.withDeviceLock(dev, fn);
    return this.withDeviceLock(parent, () => this.withDeviceLock(dev, fn));
  }

  /** The parent's lock (if any) around fn ("Needed for USB"). */
  withParentLock(dev: DeviceImpl, fn: () => number): number {
    return dev.parent === null ? fn() : this.withDeviceLock(dev.parent, fn);
  }

  private deadlock(dev: DeviceImpl): never {
    this.reportSplat({
      kind: 'recursive-locking',
      chain: `device_lock(${dev.name})`,
      block: null,
      action: null,
      message: 'WARNING: possible recursive locking detected',
      detail: `${this.stack.at(-1) ?? 'this task'} takes the lock of device ${dev.name}, which this task already holds: v4.12 deadlocks; sim ended the operation with -EDEADLK`,
      fatal: false,
    });
    throw new Deadlock(`device_lock(${dev.name})`);
  }

  // --- notifier chains -------------------------------------------------------------------------------------

  createChain<K extends ChainKind, D = unknown>(
    kind: K,
    name: string,
    actionName: (action: number) => string = (a) => `action ${a}`,
  ): ChainByKind<D>[K] {
    const chain = createNotifierChain<K, D>(kind, name, {
      onSplat: (s) => this.reportSplat(s),
      base: this.version.base,
    });
    this.chainFrames.set(chain, `${kind}_notifier_call_chain(${name})`);
    const entry: ChainEntry = { chain: chain as unknown as NotifierHead<unknown>, namer: actionName, undo: null };
    this.chains_.push(entry);
    if (this.tracer.enabled) entry.undo = this.observeChain(entry);
    return chain;
  }

  /** Forgets a chain made with createChain() (a plugin's chain that is gone, such as a released IOMMU group's). */
  dropChain(chain: { name: string }): void {
    const i = this.chains_.findIndex((e) => e.chain === (chain as unknown));
    if (i === -1) return;
    this.chains_[i]!.undo?.();
    this.chains_.splice(i, 1);
  }

  get tracing(): boolean {
    return this.tracer.enabled;
  }

  callChain<D>(
    chain: { callChain(action: number, data: D): number; name: string },
    action: number,
    data: D,
    caller: string,
  ): number {
    const prev = this.caller;
    this.caller = caller;
    this.stack.push(this.chainFrames.get(chain) ?? chain.name);
    const ret = chain.callChain(action, data);
    this.stack.pop();
    this.caller = prev;
    return ret;
  }

  /** blocking_notifier_call_chain(&dev->bus->p->bus_notifier, action, dev) from `caller`. */
  busNotify(dev: DeviceImpl, action: number, caller: string): number {
    return this.callChain(dev.bus.notifier, action, dev as Device | null, caller);
  }

  /**
   * A bus notification whose answer the caller ignores (every call site of v4.12's drivers/base), or, from v6.3,
   * bus_notify(), drivers/base/bus.c, which returns nothing.
   */
  busNotifyIgnored(dev: DeviceImpl, action: number, caller: string): void {
    const ret = this.busNotify(dev, action, caller);
    if (this.tracer.enabled) {
      this.traceOutcome(
        dev.bus.notifier,
        action,
        ret,
        caller,
        'ignored',
        this.version.busNotifyVoid ? BUS_NOTIFY_VOID_EFFECT : `${caller}() ignores the answer`,
      );
    }
  }

  traceOutcome(
    chain: { name: string },
    action: number,
    ret: number,
    caller: string,
    outcome: NotifyOutcome,
    effect: string,
  ): void {
    if (!this.tracer.enabled) return;
    const entry = this.chains_.find((e) => e.chain === (chain as unknown));
    this.tracer.emit({
      type: 'chain.outcome',
      chain: chain.name,
      action,
      actionName: entry?.namer(action) ?? `action ${action}`,
      ret,
      caller,
      outcome,
      effect,
    });
  }

  private toggleChainObservers(on: boolean): void {
    for (const e of this.chains_) {
      if (on && e.undo === null) e.undo = this.observeChain(e);
      if (!on && e.undo !== null) {
        e.undo();
        e.undo = null;
      }
    }
  }

  private observeChain(entry: ChainEntry): () => void {
    const { chain, namer } = entry;
    const tracer = this.tracer;
    return chain.observe({
      call: (action, data) => {
        tracer.emit({
          type: 'chain.call',
          chain: chain.name,
          action,
          actionName: namer(action),
          device: deviceNameOf(data),
          caller: this.caller,
        });
        tracer.depth++;
      },
      block: (nb, action, _data, ret) => {
        tracer.emit({ type: 'chain.block', chain: chain.name, block: nb.name, action, actionName: namer(action), ret });
      },
      done: (action, _data, ret, nrCalls, stoppedBy) => {
        tracer.depth--;
        tracer.emit({
          type: 'chain.return',
          chain: chain.name,
          action,
          actionName: namer(action),
          ret,
          nrCalls,
          stoppedBy: stoppedBy?.name ?? null,
          skipped: stoppedBy === null ? [] : blocksAfter(chain.blocks(), stoppedBy),
          caller: this.caller,
        });
      },
      register: (nb, ret) => {
        tracer.emit({
          type: 'chain.register',
          chain: chain.name,
          block: nb.name,
          priority: chain.priorityOf(nb) ?? nb.priority ?? 0,
          ret,
        });
      },
      unregister: (nb, ret) => {
        tracer.emit({ type: 'chain.unregister', chain: chain.name, block: nb.name, ret });
      },
    });
  }

  // --- printk, splats, oops --------------------------------------------------------------------------------

  printk(level: LogLevel, text: string): void {
    this.clock += NS_PER_PRINTK;
    for (const line of String(text).split('\n')) {
      const record: LogRecord = { seq: this.logSeq++, ts: this.clock, level, text: line };
      this.log.push(record);
      if (this.tracer.enabled) this.tracer.emit({ type: 'dmesg', level, text: line });
    }
  }

  private logSeq = 0;

  devPrintk(level: LogLevel, dev: Device, text: string): void {
    this.printk(level, `${dev.driver?.name ?? dev.bus.name} ${dev.name}: ${text}`);
  }

  /** pr_debug(): kept only with dynamic debug. */
  prDebug(text: string): void {
    if (this.dynamicDebug) this.printk(KERN_DEBUG, text);
  }

  /** dev_dbg(): kept only with dynamic debug. */
  devDbg(dev: Device, text: string): void {
    if (this.dynamicDebug) this.devPrintk(KERN_DEBUG, dev, text);
  }

  /** The warning sysfs_warn_dup() prints for a name that is already taken. */
  sysfsDuplicate(path: string): void {
    this.warn('fs/sysfs/dir.c', `sysfs: cannot create duplicate filename '${path}'`);
  }

  /**
   * Models __warn(), kernel/panic.c: the cut line, the WARNING line and the message (v4.12's warn_slowpath_fmt()
   * order; x86-64's __WARN_FLAGS in 6.12 prints the message first), the call trace, and taint W.
   */
  warn(where: string, text: string): void {
    const line = `WARNING: CPU: 0 PID: 1 at ${where} ${this.stack.at(-1) ?? ''}`.trimEnd();
    this.printk(KERN_WARNING, '------------[ cut here ]------------');
    if (this.version.base === '6.12') {
      this.printk(KERN_WARNING, text);
      this.printk(KERN_WARNING, line);
    } else {
      this.printk(KERN_WARNING, line);
      this.printk(KERN_WARNING, text);
    }
    this.printCallTrace();
    this.printk(KERN_WARNING, '---[ end trace ]---');
    this.taintWarn = true;
  }

  /** TAINT_WARN (bit 9, 'W'): a WARN() fired. */
  private taintWarn = false;

  hang(where: string, detail: string): never {
    this.printk(KERN_ERR, 'INFO: task sim:1 blocked for more than 120 seconds.');
    this.printk(KERN_ERR, `  ${detail}`);
    this.printCallTrace();
    if (this.tracer.enabled) {
      this.tracer.emit({
        type: 'splat',
        splat: {
          kind: 'hung-task',
          chain: where,
          block: null,
          action: null,
          message: 'INFO: task sim:1 blocked for more than 120 seconds.',
          detail,
          fatal: false,
        },
      });
    }
    throw new Deadlock(where);
  }

  bug(where: string, message?: string): never {
    this.die(where, message ?? `kernel BUG at ${where}!`);
  }

  private die(where: string, message: string): never {
    const oops = this.recordOops(where, message);
    throw new KernelOops(oops);
  }

  private recordOops(where: string, message: string, cause?: unknown): Oops {
    const callPath = this.callPath();
    const oops: Oops = cause === undefined ? { where, message, callPath } : { where, message, callPath, cause };
    this.printk(KERN_WARNING, '------------[ cut here ]------------');
    this.printk(KERN_CRIT, message);
    this.printk(KERN_WARNING, 'invalid opcode: 0000 [#1] SMP');
    this.printk(
      KERN_WARNING,
      `CPU: 0 PID: 1 Comm: sim ${this.taintWarn ? 'Tainted: G        W' : 'Not tainted'} ${this.version.release} #1`,
    );
    this.printCallTrace();
    this.printk(KERN_WARNING, '---[ end trace ]---');
    this.oopsRecord = oops;
    if (this.tracer.enabled) this.tracer.emit({ type: 'oops', where, message, callPath: [...oops.callPath] });
    return oops;
  }

  private printCallTrace(): void {
    this.printk(KERN_WARNING, 'Call Trace:');
    for (const frame of this.callPath().reverse()) this.printk(KERN_WARNING, ` ${frame}`);
  }

  /** The simulated stack, outermost first, with each operation's detail. */
  callPath(): string[] {
    const path = [...this.stack];
    for (let i = 0; i < this.opDepth; i++) {
      const at = this.opFrames[i]!;
      if (at < path.length && this.opDetails[i] !== '') path[at] = `${path[at]} ${this.opDetails[i]}`;
    }
    return path;
  }

  /** A hazard: printed as the kernel would, traced, and fatal ones kill the kernel. */
  reportSplat(s: Splat): void {
    if (s.warn !== undefined) {
      // A WARN() the kernel itself issues (6.12's duplicate registration): the kernel's own splat, no sim note.
      this.warn(s.warn, s.message);
    } else {
      const level = s.kind === 'sleep-in-atomic' ? KERN_ERR : KERN_WARNING;
      this.printk(level, s.message);
      this.printk(level, `  ${s.detail}`);
    }
    if (this.tracer.enabled) this.tracer.emit({ type: 'splat', splat: s });
    if (s.fatal) this.die(s.chain, s.message);
  }

  // --- fault injection -------------------------------------------------------------------------------------

  /** Probe faults in place (null when none, so the bind path checks one field). */
  probeFaults: ProbeFaultEntry[] | null = null;
  readonly inject: Injector = createInjector(this);

  addProbeFault(fault: ProbeFaultEntry): () => number {
    this.probeFaults = [...(this.probeFaults ?? []), fault];
    return () => {
      const rest = (this.probeFaults ?? []).filter((f) => f !== fault);
      const removed = rest.length !== (this.probeFaults?.length ?? 0);
      this.probeFaults = rest.length === 0 ? null : rest;
      return removed ? 0 : -ENOENT;
    };
  }

  /** The injected return of this probe call, or null to run the probe (the call is already counted). */
  probeFault(drv: DriverImpl, dev: DeviceImpl): number | null {
    for (const f of this.probeFaults ?? []) {
      if (f.driver !== drv || (f.at !== null && f.at !== drv.probeCalls)) continue;
      this.printk(
        KERN_INFO,
        `FAULT_INJECTION: forcing a failure: probe of ${dev.name} by ${drv.name} returns ${f.errno}`,
      );
      if (this.tracer.enabled) this.tracer.emit({ type: 'probe', device: dev.name, driver: drv.name, ret: f.errno });
      return f.errno;
    }
    return null;
  }

  /** Names of the chains this kernel made (bus chains, plugins' chains). */
  chains(): string[] {
    return this.chains_.map((e) => e.chain.name);
  }

  /** A chain by name. */
  chainNamed(name: unknown): NotifierHead<unknown> | undefined {
    return this.chains_.find((e) => e.chain.name === name)?.chain;
  }

  /** The name of an action on a chain (BUS_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BIND_DRIVER ...). */
  actionName(chain: object, action: number): string {
    return this.chains_.find((e) => e.chain === chain)?.namer(action) ?? `action ${action}`;
  }

  // --- driver callbacks ------------------------------------------------------------------------------------

  /** Calls a driver's probe (counted, traced, checked for an int). */
  runDriverProbe(drv: DriverImpl, dev: DeviceImpl, id: unknown): number {
    this.stack.push(drv.probeFrame);
    const ret = drv.probeFn!(dev, { kernel: this, id: (id ?? null) as never });
    if ((ret | 0) !== ret) {
      throw new SimError(
        'SIM_ERR_DRIVER_BAD_PROBE_RETURN',
        `probe of driver '${drv.name}' returned ${show(ret)} for ${dev.name}; return 0 or a negative errno`,
      );
    }
    this.stack.pop();
    if (this.tracer.enabled) this.tracer.emit({ type: 'probe', device: dev.name, driver: drv.name, ret });
    return ret;
  }

  /** Calls a driver's remove. */
  runDriverRemove(drv: DriverImpl, dev: DeviceImpl): void {
    this.stack.push(drv.removeFrame);
    drv.removeFn!(dev, { kernel: this });
    this.stack.pop();
  }

  traceBind(what: 'bound' | 'not-bound' | 'unbound', dev: DeviceImpl, drv: DriverImpl): void {
    if (this.tracer.enabled) this.tracer.emit({ type: 'bind', what, device: dev.name, driver: drv.name });
  }

  /** A bind that dma_configure() refused (6.12): traced, since the kernel itself says nothing. */
  traceBindRefused(dev: DeviceImpl, drv: DriverImpl, reason: string): void {
    if (this.tracer.enabled)
      this.tracer.emit({ type: 'bind', what: 'refused', device: dev.name, driver: drv.name, reason });
  }

  traceDevice(what: 'add' | 'del', dev: DeviceImpl): void {
    this.tracer.emit({ type: 'device', what, device: dev.name, bus: dev.bus.name, ret: 0 });
  }

  // --- sysfs tree ------------------------------------------------------------------------------------------

  /** The directory under /sys/devices that holds devices without a parent of their own (e.g. 'platform'). */
  container(name: string | null): DeviceContainer {
    if (name === null) return this.topContainer;
    let c = this.containers.get(name);
    if (c === undefined) {
      c = new DeviceContainer(this);
      this.containers.set(name, c);
    }
    return c;
  }

  private buildSysRoot(): StaticDir {
    const root = new StaticDir();
    const containers = this.containers;
    const top = this.topContainer;
    root.set(
      'bus',
      new ViewDir(() => ({}), null, {
        lookup: (name) => this.busesByName.get(name)?.sysfsDir(),
        list: () => [...this.busesByName.keys()],
      }),
    );
    root.set(
      'devices',
      new ViewDir(
        () => {
          const own: Record<string, KernfsNode> = {};
          for (const [name, c] of containers) own[name] = c.dir;
          return own;
        },
        top,
        { lookup: (name) => top.dir.lookup(name), list: () => top.dir.list() },
      ),
    );
    root.set('class', this.sysClass);
    root.set('kernel', this.sysKernel);
    root.set('module', new StaticDir());
    return root;
  }

  private makeSysfsApi(): SysfsApi {
    const fs = this.sysfsImpl;
    return {
      read: (path) => {
        const ret = fs.read(path);
        if (this.tracer.enabled)
          this.tracer.emit({
            type: 'sysfs',
            what: 'read',
            path,
            text: typeof ret === 'string' ? ret : '',
            ret: typeof ret === 'string' ? ret.length : ret,
          });
        return ret;
      },
      write: (path, text) => {
        if (typeof text !== 'string') {
          throw new SimError(
            'SIM_ERR_SYSFS_BAD_TEXT',
            `sysfs write to ${show(path)} needs a string, got ${show(text)}`,
          );
        }
        fs.exists(String(path)); // validates the path before anything runs
        const ret = this.op('write', String(path), () => fs.write(path, text));
        if (this.tracer.enabled) this.tracer.emit({ type: 'sysfs', what: 'write', path, text, ret });
        return ret;
      },
      readlink: (path) => fs.readlink(path),
      realpath: (path) => fs.realpath(path),
      list: (path) => fs.list(path),
      stat: (path) => fs.stat(path),
      exists: (path) => fs.exists(path),
      createDir: (path) => fs.createDir(path),
      createFile: (path, file) => fs.createFile(path, file),
      createLink: (path, target) => fs.createLink(path, target),
      remove: (path) => fs.remove(path),
    };
  }
}

/** The names of the blocks after `nb` in call order: those a stop at `nb` kept from being called. */
function blocksAfter<D>(blocks: NotifierBlock<D>[], nb: NotifierBlock<D>): string[] {
  const i = blocks.indexOf(nb);
  return i === -1 ? [] : blocks.slice(i + 1).map((b) => b.name);
}

function describeSpec(spec: DeviceSpec): string {
  return 'address' in spec ? String(spec.address) : String(spec.name);
}
