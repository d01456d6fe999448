import type { Bus, BusImpl, BusOps } from '../base/bus.ts';
import type { DeviceContainer } from '../base/core.ts';
import { type DeferredWatch, deferredProbeWorkFunc } from '../base/dd.ts';
import type { Device, DeviceImpl } from '../base/device.ts';
import type { Driver, DriverImpl, DriverSpec } from '../base/driver.ts';
import { i2cBusOps } from '../bus/i2c.ts';
import { pciBusOps } from '../bus/pci.ts';
import { platformBusOps } from '../bus/platform.ts';
import type { BusNotifyTable } from '../constants/bus-notify.ts';
import { EDEADLK } from '../constants/errno.ts';
import { checkFunction, checkInteger, checkString } from '../errors/check.ts';
import { describeThrown, SimError, show } from '../errors/sim-error.ts';
import { Devfs } from '../fs/devfs.ts';
import { createInjector, type Injector } from '../inject/inject.ts';
import type { NotifierHead } from '../notifier/chain.ts';
import type { ChainByKind } from '../notifier/create.ts';
import type { ChainKind, Splat } from '../notifier/notifier-block.ts';
import { Deadlock, KernelOops, type Oops } from './bug.ts';
import { ChainRegistry } from './chains.ts';
import { DriverModel } from './driver-model.ts';
import { type ProbeFaultEntry, ProbeFaults } from './faults.ts';
import { reportHungTasks } from './hung-task.ts';
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
import { DeviceLocks } from './locks.ts';
import { isDevice, KernelLog } from './log.ts';
import { OopsRecorder } from './oops.ts';
import { resolveKernelOptions } from './options.ts';
import { PluginHost } from './plugin-host.ts';
import { KERN_ERR, type LogLevel } from './printk.ts';
import { type FlagDef, type Profile, type ProfileDef, resolveProfile, STOP_BIND_ON_NOTIFY_BAD } from './profile.ts';
import {
  type BlockYield,
  type Chooser,
  isSleepable,
  KERNEL_FOOTPRINT,
  type SchedHost,
  Scheduler,
  type Sleepable,
  type Task,
  type TaskRunResult,
  YIELD_BLOCK,
  zeroAfter,
} from './sched.ts';
import { SysfsRoot } from './sysfs-root.ts';
import { type RunTasksOptions, runTasks, type TaskRunReport, type TaskSpec } from './tasks.ts';
import type { NotifyOutcome } from './trace.ts';
import { type Trace, Tracer } from './tracer.ts';
import { type KernelVersion, kernelVersion } from './versions.ts';
import { msleep, waitEventTimeout } from './wait.ts';

/** A work item (struct work_struct): queued at most once at a time. */
export interface WorkItem {
  readonly name: string;
  readonly fn: () => void | Sleepable<void>;
  queued: boolean;
  /** True when running the item now would do nothing (a task run does not wake the worker for it). */
  readonly idle?: () => boolean;
}

/** A prepared operation: validated, ready to run inside the kernel (a sleepable path for one that may sleep). */
export type Prepared = () => number | Sleepable<number>;

const NS_PER_MS = 1_000_000;
const MAX_WORK_ITEMS = 10_000_000;

/**
 * The simulated kernel. See `Kernel` for the public surface; the rest is for the driver-core modules. It is the
 * composition of the modules that model each concern (the log, the oops, the chain list, the plugin host, the
 * driver model, probe faults, the sysfs root: docs/decisions/2026-12-02-kernel-object-split.md), whose methods it
 * keeps as delegations; the operation boundary, the call path, the work queue and the device locks are its own.
 */
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

  /** The plugins in use, and the flags and profiles they declare. */
  readonly pluginHost: PluginHost = new PluginHost(this);
  private readonly activeFlags: Set<string>;

  /** The buses, devices and drivers. */
  readonly driverModel: DriverModel = new DriverModel(this);
  /** The registered buses by name (the driver model's map). */
  readonly busesByName: Map<string, BusImpl> = this.driverModel.busesByName;
  /** The oops record, and whether the kernel may still run. */
  readonly oopsRecorder: OopsRecorder = new OopsRecorder(this);
  /** The oops record once the kernel died, else null. */
  private get oopsRecord(): Oops | null {
    return this.oopsRecorder.record;
  }
  readonly log: KernelLog;
  private clock = 0;
  /** The running task's simulated call path, outermost first (swapped with the task, see switchTo()). */
  stack: string[];
  private opDepth = 0;
  /** For each operation on the stack: where its frame is, and its detail (the path written, the device added). */
  private opFrames: number[];
  private opDetails: string[];
  /** The scheduler: the running task, switch points, waits. */
  readonly sched: Scheduler;
  /** The device locks (locks.ts). */
  readonly locks: DeviceLocks = new DeviceLocks(this);
  /** The task whose call path the fields above hold. */
  private running: Task;

  readonly tracer: Tracer;
  /** The trace stream (the same object as `tracer`, typed for users). */
  get trace(): Trace {
    return this.tracer;
  }
  /** The notifier chains this kernel made, and how it calls them. */
  readonly chainRegistry: ChainRegistry;

  readonly deferredPending = new Set<DeviceImpl>();
  readonly deferredActive = new Set<DeviceImpl>();
  deferredTriggerCount = 0;
  deferredProbeEnable = true;
  /** While the deferred-probe work runs: what it watches to tell a retry that changed nothing. */
  deferredWatch: DeferredWatch | null = null;
  private readonly workQueue: WorkItem[] = [];
  /** deferred_probe_work. */
  readonly deferredWork: WorkItem = {
    name: 'deferred_probe_work_func',
    fn: () => deferredProbeWorkFunc(this),
    queued: false,
    idle: () => this.deferredActive.size === 0,
  };

  /** The /sys tree and the sysfs API. */
  readonly sysRoot: SysfsRoot;
  readonly sysfs: SysfsApi;
  readonly devfsImpl: Devfs;
  readonly dev: DevfsApi;
  readonly dmesg: Dmesg;

  constructor(options?: KernelOptions) {
    const o = resolveKernelOptions(options);
    const plugins = o.plugins;
    this.dynamicDebug = o.dynamicDebug;
    this.chainRegistry = new ChainRegistry(this, o.compileChains);
    this.dbg = this.dynamicDebug;
    this.sched = new Scheduler(this.schedHost());
    this.running = this.sched.init;
    this.stack = this.running.stack;
    this.opFrames = this.running.opFrames;
    this.opDetails = this.running.opDetails;
    this.log = new KernelLog(this, o.logRecords);
    this.machine = o.machine;
    this.pluginHost.admit(plugins);
    this.profile = resolveProfile(o.profile, this.pluginHost.profileDefs, this.pluginHost.flagDefs);
    this.version = kernelVersion(this.profile.base);
    this.busEvents = this.version.busEvents;
    for (const p of plugins) this.pluginHost.checkSupported(p);
    this.activeFlags = new Set(this.profile.flags);
    this.stopBindOnNotifyBad = this.activeFlags.has(STOP_BIND_ON_NOTIFY_BAD);

    this.tracer = new Tracer(
      () => this.clock,
      (on) => this.toggleChainObservers(on),
      (undo) => this.journalUndo(undo),
    );
    this.sysRoot = new SysfsRoot(this);
    this.sysfs = this.sysRoot.api;
    this.devfsImpl = new Devfs(this);
    this.dev = this.devfsImpl;
    this.dmesg = this.log.dmesg;

    for (const ops of [platformBusOps(this), pciBusOps(this), i2cBusOps(this)]) this.addBus(ops);
    // The caller's listener hears the plugins' setups too.
    if (o.trace !== null) this.tracer.subscribe(o.trace);
    // A plugin whose setup fails is undone (see use()); those set up before it are torn down, since the kernel
    // is never handed out. Their teardowns' own failures give way to the setup's error.
    for (const p of plugins) {
      try {
        this.pluginHost.setupJournaled(p);
      } catch (e) {
        try {
          this.close();
        } catch {
          // the setup's error is the one to report
        }
        throw e;
      }
    }
  }

  // --- profile and plugins ---------------------------------------------------------------------------------

  hasFlag(flag: string): boolean {
    const flagDefs = this.pluginHost.flagDefs;
    if (!flagDefs.some((f) => f.name === flag)) {
      throw new SimError(
        'SIM_ERR_PROFILE_UNKNOWN_FLAG',
        `unknown flag ${show(flag)}; known flags: ${flagDefs.map((f) => f.name).join(', ')}`,
      );
    }
    return this.activeFlags.has(flag);
  }

  knownFlags(): FlagDef[] {
    return [...this.pluginHost.flagDefs];
  }

  knownProfiles(): ProfileDef[] {
    return [...this.pluginHost.profileDefs];
  }

  use(plugin: Plugin): Kernel {
    this.checkUsable();
    this.pluginHost.use(plugin);
    return this;
  }

  plugins(): string[] {
    return this.pluginHost.names();
  }

  close(): void {
    if (this.oopsRecorder.closed || this.closing) return;
    // Teardowns run on a live kernel (they may unregister drivers, which is an operation), last plugin first; a
    // dead kernel has nothing left to tear down. A teardown that throws does not stop the others.
    this.closing = true;
    const failure = this.oopsRecord === null ? this.pluginHost.teardown() : null;
    this.oopsRecorder.markClosed();
    if (failure !== null) throw failure;
  }

  private closing = false;

  /** True while a plugin's setup runs (its changes are journaled). */
  get journaling(): boolean {
    return this.pluginHost.journaling;
  }

  /** Keeps the undo of a change a plugin's setup is making; nothing outside a setup. */
  journalUndo(undo: () => void): void {
    this.pluginHost.journalUndo(undo);
  }

  // --- buses, devices, drivers -----------------------------------------------------------------------------

  /** Models bus_register(), drivers/base/bus.c. */
  addBus(ops: BusOps): BusImpl {
    return this.driverModel.addBus(ops);
  }

  bus(name: string): Bus {
    return this.driverModel.busOrThrow(name, 'kernel.bus()');
  }

  busOrThrow(name: unknown, who: string): BusImpl {
    return this.driverModel.busOrThrow(name, who);
  }

  buses(): Bus[] {
    return this.driverModel.buses();
  }

  busRegister(type: BusTypeSpec): Bus {
    return this.driverModel.busRegister(type);
  }

  device(name: string, bus?: string): Device | undefined {
    return this.driverModel.device(name, bus);
  }

  /** A device by name for an API call; a SimError naming the fix when there is none. */
  deviceOrThrow(name: unknown, bus: string | undefined, who: string): DeviceImpl {
    return this.driverModel.deviceOrThrow(name, bus, who);
  }

  devices(): Device[] {
    return this.driverModel.devices();
  }

  driver(name: string, bus: string): Driver | undefined {
    return this.driverModel.driver(name, bus);
  }

  /** True when some device is bound to a driver of this name (on any bus). */
  isDriverBound(name: string): boolean {
    return this.driverModel.isDriverBound(name);
  }

  addDevice(spec: DeviceSpec): number | null {
    return this.driverModel.addDevice(spec);
  }

  removeDevice(name: string, bus?: string): number | null {
    return this.driverModel.removeDevice(name, bus);
  }

  /** Undoes a device_add() of a failed plugin setup: the device goes as removeDevice() would take it. */
  undoAdd(dev: DeviceImpl): void {
    this.driverModel.undoAdd(dev);
  }

  /** Models device_unregister() of a device and, first, the devices below it (last added first). */
  unregisterTree(dev: DeviceImpl): Sleepable<number> {
    return this.driverModel.unregisterTree(dev);
  }

  registerDriver(spec: DriverSpec): number | null {
    return this.driverModel.registerDriver(spec);
  }

  unregisterDriver(name: string, bus: string): number | null {
    return this.driverModel.unregisterDriver(name, bus);
  }

  // --- operations ------------------------------------------------------------------------------------------

  get oops(): Oops | null {
    return this.oopsRecorder.record;
  }

  now(): number {
    return this.clock;
  }

  /** Moves the clock on by `ns` (a printk() takes NS_PER_PRINTK); returns the new time. */
  advanceClock(ns: number): number {
    this.clock += ns;
    return this.clock;
  }

  /** A dead or closed kernel's chains refuse every register, unregister and call (see checkUsable()). */
  refuseChains(): void {
    this.chainRegistry.refuseAll();
  }

  /** True once the kernel oopsed or was closed: it runs nothing more (reads still work). */
  get unusable(): boolean {
    return this.oopsRecorder.unusable;
  }

  /** Throws when the kernel can no longer run operations. */
  checkUsable(): void {
    this.oopsRecorder.checkUsable();
  }

  /**
   * Runs one operation (a system call, or a kernel API call from outside) to completion as the running task: the
   * outermost one advances the clock, runs queued work (deferred probing) before returning, and turns an oops into a
   * `null` result. A lock this task already holds makes the operation return -EDEADLK; so does a wait nothing can
   * end (a hung task, see Scheduler.runDirect()).
   */
  op(name: string, detail: string, fn: Prepared): number | null {
    const outer = this.opBegin(name, detail);
    const depth = this.stack.length - 1;
    let ret: number | null;
    try {
      if (this.tracing) this.tracer.emit({ type: 'op.begin', op: name, detail });
      const r = fn();
      // A path that sleeps (a driver's probe or remove did) runs to its end here: nobody else runs.
      ret = typeof r === 'number' ? r : isSleepable(r) ? this.sched.runDirect(r) : r;
      if (outer && this.oopsRecord === null) this.settle();
    } catch (e) {
      ret = this.opCaught(e, outer, name);
    } finally {
      this.stack.length = depth;
      this.opDepth--;
    }
    return this.opEnd(outer, name, ret);
  }

  /** An operation as a sleepable path: a task's system call (queued work is the kernel worker's, in a task run). */
  *opGen(name: string, detail: string, fn: Prepared): Sleepable<number | null> {
    const outer = this.opBegin(name, detail);
    const depth = this.stack.length - 1;
    let ret: number | null;
    try {
      if (this.tracing) this.tracer.emit({ type: 'op.begin', op: name, detail });
      const r = fn();
      ret = typeof r === 'number' ? r : isSleepable(r) ? yield* r : r;
    } catch (e) {
      ret = this.opCaught(e, outer, name);
    } finally {
      this.stack.length = depth;
      this.opDepth--;
    }
    return this.opEnd(outer, name, ret);
  }

  /** An operation's start: the outermost one checks the kernel and advances the clock; its frame goes on. */
  private opBegin(name: string, detail: string): boolean {
    const outer = this.opDepth === 0;
    if (outer) {
      this.checkUsable();
      this.clock = (Math.floor(this.clock / NS_PER_MS) + 1) * NS_PER_MS;
      this.sched.progress();
      // In a task run, every transition that enters the kernel depends on every other (docs/decisions/2026-12-02-tasks.md).
      this.sched.touch(KERNEL_FOOTPRINT);
    }
    this.opFrames[this.opDepth] = this.stack.length;
    this.opDetails[this.opDepth] = detail;
    this.opDepth++;
    this.stack.push(name);
    return outer;
  }

  /**
   * What an operation returns for what was thrown inside it: -EDEADLK for a deadlock; for the outermost, null (an
   * exception in plugin or user code is an oops); an inner operation passes it on. Never throws for the outermost:
   * whatever was thrown is classified and described by functions that never throw.
   */
  private opCaught(e: unknown, outer: boolean, name: string): number | null {
    if (Deadlock.is(e)) return -EDEADLK;
    if (!outer) throw e;
    if (!KernelOops.is(e) && this.oopsRecord === null) {
      const where = this.stack.at(-1) ?? name;
      this.recordOops(where, `BUG: unhandled exception in ${where}: ${describeThrown(e)}`, e);
    }
    return null;
  }

  /** An operation's end: progress noted, a dead task's null, the trace's op.end. */
  private opEnd(outer: boolean, name: string, result: number | null): number | null {
    let ret = result;
    if (outer) this.sched.progress();
    // A task that hit BUG() never returns, even if a callback caught the oops and went on.
    if (outer && this.oopsRecord !== null) ret = null;
    if (this.tracing) {
      try {
        this.tracer.emit({ type: 'op.end', op: name, ret });
      } catch (e) {
        if (!outer) throw e;
        if (this.oopsRecord === null)
          this.recordOops(name, `BUG: unhandled exception in ${name}: ${describeThrown(e)}`, e);
        return null;
      }
    }
    return ret;
  }

  /** Models schedule_work(): queues the item (if it is not queued already) for the end of the operation. */
  scheduleWork(item: WorkItem): void {
    if (item.queued) return;
    item.queued = true;
    this.workQueue.push(item);
  }

  /** Models cancel_work(): takes a queued item off the queue. */
  cancelWork(item: WorkItem): void {
    if (!item.queued) return;
    item.queued = false;
    const i = this.workQueue.indexOf(item);
    if (i !== -1) this.workQueue.splice(i, 1);
  }

  /** Runs queued work until none is left, as the workqueue would before the next command. */
  private settle(): void {
    let budget = MAX_WORK_ITEMS;
    while (this.workQueue.length > 0) {
      if (--budget === 0) this.die('kernel/workqueue.c', 'BUG: workqueue lockup - work items keep requeueing');
      const item = this.workQueue.shift()!;
      item.queued = false;
      this.stack.push(item.name);
      const r = item.fn();
      if (r !== undefined) this.sched.runDirect(r);
      this.stack.pop();
    }
  }

  /** True when the worker has work that would do something (idle items at the head are dropped: no-ops). */
  private workReady(): boolean {
    const q = this.workQueue;
    while (q.length > 0 && q[0]!.idle?.() === true) q.shift()!.queued = false;
    return q.length > 0;
  }

  /** The kernel worker of a task run (kworker/0:1): runs queued work, each item an operation of its own. */
  private *kworker(self: Task): Sleepable<void> {
    const idle: BlockYield = {
      kind: YIELD_BLOCK,
      on: self.idle!,
      timeout: Number.POSITIVE_INFINITY,
      interruptible: true,
    };
    for (;;) {
      if (!this.workReady()) {
        yield idle;
        continue;
      }
      const item = this.workQueue.shift()!;
      item.queued = false;
      yield* this.opGen(item.name, '', () => {
        const r = item.fn();
        return r === undefined ? 0 : zeroAfter(r);
      });
      if (this.oopsRecord !== null) return;
    }
  }

  /** The scheduler's view of this kernel. */
  private schedHost(): SchedHost {
    return {
      switchTo: (t) => this.switchTo(t),
      now: () => this.clock,
      advanceTo: (ns) => {
        if (ns > this.clock) this.clock = ns;
      },
      reportHung: (blocked, since) => reportHungTasks(this, blocked, since),
      dead: () => this.oopsRecord !== null,
      deadlock: (what) => new Deadlock(what),
      inKernel: () => this.opDepth > 0,
    };
  }

  /** Makes `t` the running task: its call path and operation frames become the kernel's. */
  private switchTo(t: Task): void {
    const cur = this.running;
    if (cur === t) return;
    cur.stack = this.stack;
    cur.opDepth = this.opDepth;
    cur.opFrames = this.opFrames;
    cur.opDetails = this.opDetails;
    this.stack = t.stack;
    this.opDepth = t.opDepth;
    this.opFrames = t.opFrames;
    this.opDetails = t.opDetails;
    this.running = t;
  }

  enter(frame: string): void {
    this.stack.push(frame);
  }

  leave(): void {
    this.stack.pop();
  }

  withFrame<T>(name: string, fn: () => T): T {
    if (this.unusable) this.checkUsable();
    if (typeof name !== 'string') checkString(name, 'kernel.withFrame()', 'the frame name', "'iommu_bus_notifier'");
    if (typeof fn !== 'function') checkFunction(fn, 'kernel.withFrame()', 'fn', '() => 0');
    this.stack.push(name);
    const depth = this.stack.length;
    const out = fn();
    this.stack.length = depth - 1;
    return out;
  }

  /** Runs a sleepable path as kernel function `name` (it appears in an oops's call path). */
  *inFrame<T>(name: string, g: Sleepable<T>): Sleepable<T> {
    this.stack.push(name);
    const depth = this.stack.length;
    try {
      return yield* g;
    } finally {
      this.stack.length = depth - 1;
    }
  }

  // --- tasks -----------------------------------------------------------------------------------------------

  runTasks(tasks: readonly TaskSpec[], options?: RunTasksOptions): TaskRunReport {
    return runTasks(this, tasks, options);
  }

  /** For tasks.ts: the scheduler's run with this kernel's worker, and a kernel left unusable if it fails. */
  runTaskBodies(tasks: readonly Task[], choose: Chooser): TaskRunResult {
    this.checkUsable();
    const worker = this.sched.task('kworker/0:1', 'kworker/0:1', null, true);
    worker.idle = { what: 'work', ready: () => this.workReady(), holder: () => null };
    worker.body = this.kworker(worker);
    let result: TaskRunResult | null = null;
    try {
      result = this.sched.run(tasks, worker, choose);
      return result;
    } finally {
      // Paths still suspended (the idle worker; every task of an abandoned run or a dead kernel) are unwound: their
      // locks go. An abandoned run leaves operations half done: the kernel runs nothing more.
      for (const t of [...tasks, worker]) {
        if (t.state === 'done' || t.body === null) continue;
        this.switchTo(t);
        try {
          t.body.return(undefined);
        } catch {
          // an unwinding path that throws has nothing left to undo
        }
      }
      this.switchTo(this.sched.init);
      if (result === null || result.aborted) this.oopsRecorder.markAbandoned();
    }
  }

  waitEvent(what: string, until: () => boolean, timeoutMs?: number): Sleepable<boolean> {
    checkString(what, 'kernel.waitEvent()', 'what', "'vfio_del_group_dev: release of 0000:01:00.0'");
    checkFunction(until, 'kernel.waitEvent()', 'until', '() => !present');
    const timeout =
      timeoutMs === undefined
        ? Number.POSITIVE_INFINITY
        : checkInteger(timeoutMs, 0, 86_400_000, 'kernel.waitEvent()', 'timeoutMs') * NS_PER_MS;
    return waitEventTimeout(what, until, timeout);
  }

  msleep(ms: number): Sleepable<void> {
    const n = checkInteger(ms, 0, 86_400_000, 'kernel.msleep()', 'ms');
    return msleep(n * NS_PER_MS);
  }

  /** The running task. */
  get currentTask(): Task {
    return this.running;
  }

  /** Prints `t`'s call trace (the hung-task report's). */
  printCallTraceOf(t: Task): void {
    const saved = this.running;
    this.switchTo(t);
    this.printCallTrace();
    this.switchTo(saved);
  }

  // --- locks (locks.ts) ------------------------------------------------------------------------------------

  /** Models device_lock(), include/linux/device.h, for a sleepable path (see locks.ts). */
  deviceLock(dev: DeviceImpl): Sleepable<void> {
    return this.locks.lock(dev);
  }

  /** Models device_unlock(). */
  deviceUnlock(dev: DeviceImpl): void {
    this.locks.unlock(dev);
  }

  /** device_lock(dev) around fn. */
  withDeviceLock(dev: DeviceImpl, fn: () => number | Sleepable<number>): Sleepable<number> {
    return this.locks.around(dev, fn);
  }

  /** The parent's lock (if any, and if asked), then the device's. */
  withDeviceLocks(dev: DeviceImpl, parentToo: boolean, fn: () => number | Sleepable<number>): Sleepable<number> {
    return this.locks.aroundBoth(dev, parentToo, fn);
  }

  /** The parent's lock (if any) around fn ("Needed for USB"). */
  withParentLock(dev: DeviceImpl, fn: () => number | Sleepable<number>): Sleepable<number> {
    return this.locks.aroundParent(dev, fn);
  }

  // --- notifier chains -------------------------------------------------------------------------------------

  createChain<K extends ChainKind, D = unknown>(
    kind: K,
    name: string,
    actionName?: (action: number) => string,
  ): ChainByKind<D>[K] {
    return this.chainRegistry.create<K, D>(kind, name, actionName);
  }

  /** Forgets a chain made with createChain() (a plugin's chain that is gone, such as a released IOMMU group's). */
  dropChain(chain: { name: string }): void {
    this.chainRegistry.drop(chain);
  }

  /** Takes a chain off the kernel's list (its trace observer too). */
  forgetChain(chain: { name: string }): void {
    this.chainRegistry.forget(chain);
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
    return this.chainRegistry.call(chain, action, data, caller);
  }

  /**
   * Models blocking_notifier_call_chain(&dev->bus->p->bus_notifier, action, dev), drivers/base/*.c, from `caller`.
   * The bind path's hot call: it does what ChainRegistry.call() does for the chain list, without the checks.
   */
  busNotify(dev: DeviceImpl, action: number, caller: string): number {
    if (this.unusable) this.checkUsable();
    const chains = this.chainRegistry;
    const chain = dev.bus.notifier;
    const prev = chains.caller;
    chains.caller = caller;
    this.stack.push(chains.frames.get(chain) ?? chain.name);
    const ret = chain.callChain(action, dev as Device | null);
    this.stack.pop();
    chains.caller = prev;
    return ret;
  }

  /**
   * A bus notification whose answer the caller ignores (every call site of v4.12's drivers/base), or, from v6.3,
   * bus_notify(), drivers/base/bus.c, which returns nothing.
   */
  busNotifyIgnored(dev: DeviceImpl, action: number, caller: string): void {
    const ret = this.busNotify(dev, action, caller);
    if (this.tracer.enabled) this.chainRegistry.traceIgnored(dev, action, ret, caller);
  }

  traceOutcome(
    chain: { name: string },
    action: number,
    ret: number,
    caller: string,
    outcome: NotifyOutcome,
    effect: string,
  ): void {
    this.chainRegistry.traceOutcome(chain, action, ret, caller, outcome, effect);
  }

  private toggleChainObservers(on: boolean): void {
    this.chainRegistry.toggleObservers(on);
  }

  // --- printk, splats, oops --------------------------------------------------------------------------------

  printk(level: LogLevel, text: string): void {
    this.log.printk(level, text);
  }

  devPrintk(level: LogLevel, dev: Device, text: string): void {
    this.log.devPrintk(level, dev, text);
  }

  /**
   * pr_debug(): kept only with dynamic debug. On the bind path with dynamic debug off this is a no-op, decided
   * here (a call into the log for nothing measured twice the time).
   */
  prDebug(text: string): void {
    if (this.dynamicDebug || this.unusable || typeof text !== 'string') this.log.prDebug(text);
  }

  /** dev_dbg(): kept only with dynamic debug; a no-op decided here without it, as prDebug(). */
  devDbg(dev: Device, text: string): void {
    if (this.dynamicDebug || this.unusable || typeof text !== 'string' || !isDevice(dev)) this.log.devDbg(dev, text);
  }

  /** The warning sysfs_warn_dup() prints for a name that is already taken. */
  sysfsDuplicate(path: string): void {
    this.log.sysfsDuplicate(path);
  }

  /** WARN(): see KernelLog.warn(). */
  warn(where: string, text: string): void {
    this.log.warn(where, text);
  }

  hang(where: string, detail: string): never {
    this.checkUsable();
    checkString(where, 'kernel.hang()', 'where', "'drivers/vfio/vfio.c:897'");
    checkString(detail, 'kernel.hang()', 'the detail', "'vfio_del_group_dev() waits for ...'");
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
    return this.oopsRecorder.bug(where, message);
  }

  private die(where: string, message: string): never {
    return this.oopsRecorder.die(where, message);
  }

  private recordOops(where: string, message: string, cause?: unknown): Oops {
    return this.oopsRecorder.recordOops(where, message, cause);
  }

  private printCallTrace(): void {
    this.log.printCallTrace();
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
    this.oopsRecorder.reportSplat(s);
  }

  // --- fault injection -------------------------------------------------------------------------------------

  /** Probe faults in place. */
  readonly faults: ProbeFaults = new ProbeFaults(this);
  readonly inject: Injector = createInjector(this);

  /** Probe faults in place (null when none, so the bind path checks one field). */
  get probeFaults(): ProbeFaultEntry[] | null {
    return this.faults.list;
  }

  /** kernel.inject.sysfs(): a fault asked before each sysfs creation; returns its removal. */
  addSysfsCreateFault(fault: (path: string) => number): () => number {
    return this.sysRoot.fs.addCreateFault(fault);
  }

  addProbeFault(fault: ProbeFaultEntry): () => number {
    return this.faults.add(fault);
  }

  /** The injected return of this probe call, or null to run the probe (the call is already counted). */
  probeFault(drv: DriverImpl, dev: DeviceImpl): number | null {
    return this.faults.check(drv, dev);
  }

  /** Names of the chains this kernel made (bus chains, plugins' chains). */
  chains(): string[] {
    return this.chainRegistry.names();
  }

  /** A chain by name. */
  chainNamed(name: unknown): NotifierHead<unknown> | undefined {
    return this.chainRegistry.named(name);
  }

  /** The name of an action on a chain (BUS_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BIND_DRIVER ...). */
  actionName(chain: object, action: number): string {
    return this.chainRegistry.actionName(chain, action);
  }

  // --- driver callbacks ------------------------------------------------------------------------------------

  /** Calls a driver's probe (counted, traced, checked for an int); a probe may sleep (return a sleepable path). */
  runDriverProbe(drv: DriverImpl, dev: DeviceImpl, id: unknown): number | Sleepable<number> {
    this.stack.push(drv.probeFrame);
    const r: unknown = drv.probeFn!(dev, { kernel: this, id: (id ?? null) as never });
    return typeof r !== 'number' && isSleepable(r) ? this.probeSleeping(drv, dev, r) : this.probeDone(drv, dev, r);
  }

  /** A probe that sleeps, to its end. */
  private *probeSleeping(drv: DriverImpl, dev: DeviceImpl, r: Sleepable<unknown>): Sleepable<number> {
    return this.probeDone(drv, dev, yield* r);
  }

  /** A probe's return: checked for an int, its frame left, traced. */
  private probeDone(drv: DriverImpl, dev: DeviceImpl, ret: unknown): number {
    if (typeof ret !== 'number' || (ret | 0) !== ret) {
      throw new SimError(
        'SIM_ERR_DRIVER_BAD_PROBE_RETURN',
        `probe of driver '${drv.name}' returned ${show(ret)} for ${dev.name}; return 0 or a negative errno`,
      );
    }
    this.stack.pop();
    if (this.tracer.enabled) this.tracer.emit({ type: 'probe', device: dev.name, driver: drv.name, ret });
    return ret;
  }

  /** Calls a driver's remove; a remove may sleep (return a sleepable path, undefined when it did not). */
  runDriverRemove(drv: DriverImpl, dev: DeviceImpl): Sleepable<void> | undefined {
    this.stack.push(drv.removeFrame);
    const r: unknown = drv.removeFn!(dev, { kernel: this });
    if (r !== undefined && isSleepable(r)) return this.removeSleeping(r);
    this.stack.pop();
    return undefined;
  }

  /** A remove that sleeps, to its end. */
  private *removeSleeping(r: Sleepable<unknown>): Sleepable<void> {
    yield* r;
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
    return this.sysRoot.container(name);
  }
}
