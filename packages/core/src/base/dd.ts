import { EAGAIN, EBUSY, EEXIST, EINVAL, ENODEV, ENXIO, EPROBE_DEFER, errname } from '../constants/errno.ts';
import { NOTIFY_BAD } from '../constants/notifier.ts';
import { Deadlock } from '../kernel/bug.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { KERN_ERR, KERN_WARNING } from '../kernel/printk.ts';
import type { Sleepable } from '../kernel/sched.ts';
import type { DeviceImpl } from './device.ts';
import type { DriverImpl } from './driver.ts';

// ---------------------------------------------------------------------------------------------------------------
// Matching

/** Models driver_match_device(), drivers/base/base.h: bus->match, or 1 when the bus has none. */
export function driverMatchDevice(drv: DriverImpl, dev: DeviceImpl): number {
  return drv.bus.ops.match(dev, drv);
}

// ---------------------------------------------------------------------------------------------------------------
// Deferred probe

/** Models driver_deferred_probe_add(), drivers/base/dd.c: append to the pending list unless already listed. */
export function driverDeferredProbeAdd(k: KernelImpl, dev: DeviceImpl): void {
  if (dev.deferred !== null) return;
  if (k.deferredWatch !== null) k.deferredWatch.deferred ^= deviceHash(dev);
  k.devDbg(dev, 'Added to deferred list');
  dev.deferred = 'pending';
  k.deferredPending.add(dev);
}

/** Models driver_deferred_probe_del(), drivers/base/dd.c. */
export function driverDeferredProbeDel(k: KernelImpl, dev: DeviceImpl): void {
  if (dev.deferred === null) return;
  if (k.deferredWatch !== null) k.deferredWatch.deferred ^= deviceHash(dev);
  k.devDbg(dev, 'Removed from deferred list');
  (dev.deferred === 'pending' ? k.deferredPending : k.deferredActive).delete(dev);
  dev.deferred = null;
}

/** Models driver_deferred_probe_trigger(), drivers/base/dd.c: pending devices move to the active list, work queued. */
export function driverDeferredProbeTrigger(k: KernelImpl): void {
  if (!k.deferredProbeEnable) return;
  k.deferredTriggerCount++;
  if (k.deferredPending.size > 0) {
    for (const dev of k.deferredPending) {
      dev.deferred = 'active';
      k.deferredActive.add(dev);
    }
    k.deferredPending.clear();
  }
  k.scheduleWork(k.deferredWork);
}

/**
 * Retries in a row, within one run of the deferred-probe work, that each find the kernel in a state an earlier
 * retry of that run already found (the same device up next, the same devices deferred, the same devices bound):
 * past this, the work would go round for ever, and sim stops it (docs/decisions/2026-12-02-deferred-probe-livelock.md).
 */
export const DEFERRED_PROBE_REPEAT_LIMIT = 100;

/** What the deferred-probe work watches while it runs, to tell a retry that changed nothing. */
export interface DeferredWatch {
  /** XOR of the hashes of the devices on the deferred lists. */
  deferred: number;
  /** XOR of the hashes of the (device, driver) bindings made since the work started, minus those released. */
  bound: number;
  /** The states retries found so far in this run. */
  readonly seen: Set<string>;
  /** Retries in a row that found a state already seen. */
  repeats: number;
}

/** FNV-1a of a string, finished with a murmur3 mix: a well spread 32-bit hash. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function deviceHash(dev: DeviceImpl): number {
  return hash32(`${dev.bus.name}/${dev.name}`, 0);
}

/** A binding's hash: a device bound to a driver. */
export function bindingHash(dev: DeviceImpl, drv: DriverImpl): number {
  return hash32(`${dev.bus.name}/${dev.name}>${drv.name}`, 0x9e3779b9);
}

/**
 * Models deferred_probe_work_func(), drivers/base/dd.c: retry each active device, first in first out. The kernel
 * goes round for as long as retries re-trigger themselves; sim watches for a retry that finds the kernel as an
 * earlier one left it and, after DEFERRED_PROBE_REPEAT_LIMIT of them in a row, reports the livelock.
 */
export function deferredProbeWorkFunc(k: KernelImpl): void | Sleepable<void> {
  // Queued after every bind: most runs find nothing to retry, and must cost nothing.
  if (k.deferredActive.size === 0) return;
  return deferredProbeRetries(k);
}

/** The retries of deferred_probe_work_func(), each device_attach() taking the device's lock. */
function* deferredProbeRetries(k: KernelImpl): Sleepable<void> {
  let deferred = 0;
  for (const dev of k.deferredPending) deferred ^= deviceHash(dev);
  for (const dev of k.deferredActive) deferred ^= deviceHash(dev);
  const watch: DeferredWatch = { deferred, bound: 0, seen: new Set(), repeats: 0 };
  k.deferredWatch = watch;
  try {
    for (;;) {
      const next = k.deferredActive.values().next();
      if (next.done === true) return;
      const dev = next.value;
      const state = `${deviceHash(dev)}:${watch.deferred}:${watch.bound}`;
      if (watch.seen.has(state)) {
        if (++watch.repeats >= DEFERRED_PROBE_REPEAT_LIMIT) deferredProbeLivelock(k);
      } else {
        watch.seen.add(state);
        watch.repeats = 0;
      }
      k.deferredActive.delete(dev);
      dev.deferred = null;
      watch.deferred ^= deviceHash(dev);
      k.devDbg(dev, 'Retrying from deferred list');
      if (dev.bus.driversAutoprobe) {
        const r = deviceAttach(k, dev, true);
        if (typeof r !== 'number') yield* r;
      }
    }
  } finally {
    k.deferredWatch = null;
  }
}

/**
 * The deferred-probe work goes round without end (v4.12 would retry for ever, silently): the splat, the devices
 * parked on the pending list (the next successful bind retries them, as any trigger does), the work cancelled,
 * and the operation ends with -EDEADLK.
 */
function deferredProbeLivelock(k: KernelImpl): never {
  const stuck = [...k.deferredActive];
  for (const dev of stuck) {
    dev.deferred = 'pending';
    k.deferredPending.add(dev);
  }
  k.deferredActive.clear();
  k.cancelWork(k.deferredWork);
  const names = stuck.map((d) => d.name);
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
  k.reportSplat({
    kind: 'deferred-probe-livelock',
    chain: 'deferred_probe_work_func',
    block: null,
    action: null,
    message: `INFO: deferred probe makes no progress: ${shown} deferred again and again`,
    detail: `deferred_probe_work_func() retried ${shown} ${DEFERRED_PROBE_REPEAT_LIMIT} times in a row, each retry finding the same devices deferred and the same devices bound as an earlier one (a probe that re-triggers the deferred probe, by a bind, and asks to be deferred again): v4.12 retries them forever, its kworker spinning without a message; sim stopped the retries, left them on the pending list and ended the operation with -EDEADLK`,
    fatal: false,
  });
  throw new Deadlock('deferred_probe_work_func');
}

// ---------------------------------------------------------------------------------------------------------------
// Binding

/** Models driver_bound(), drivers/base/dd.c. */
function driverBound(k: KernelImpl, dev: DeviceImpl): void {
  const drv = dev.driver!;
  if (dev.isBound) {
    if (k.version.bindErrno) k.devPrintk(KERN_WARNING, dev, 'driver_bound: device already bound');
    else k.printk(KERN_WARNING, `driver_bound: device ${dev.name} already bound`);
    return;
  }
  if (k.dbg) {
    if (k.version.bindErrno) k.devDbg(dev, `driver: '${drv.name}': driver_bound: bound to device`);
    else k.prDebug(`driver: '${drv.name}': driver_bound: bound to device '${dev.name}'`);
  }
  drv.devices_.add(dev);
  dev.isBound = true;
  if (k.deferredWatch !== null) k.deferredWatch.bound ^= bindingHash(dev, drv);
  driverDeferredProbeDel(k, dev);
  driverDeferredProbeTrigger(k);
  k.traceBind('bound', dev, drv);
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_BOUND_DRIVER, 'driver_bound');
}

/**
 * Models driver_sysfs_add(), drivers/base/dd.c: BUS_NOTIFY_BIND_DRIVER, then the two links. v4.12 ignores the
 * chain's answer; under the seed's flag an answer of exactly NOTIFY_BAD returns -EINVAL before any link is made.
 */
function driverSysfsAdd(k: KernelImpl, dev: DeviceImpl): number {
  const bind = k.busEvents.BUS_NOTIFY_BIND_DRIVER;
  if (k.version.busNotifyVoid) {
    k.busNotifyIgnored(dev, bind, 'driver_sysfs_add');
    return driverLinksAdd(k, dev);
  }
  const ret = k.busNotify(dev, bind, 'driver_sysfs_add');
  const veto = k.stopBindOnNotifyBad && ret === NOTIFY_BAD;
  if (k.tracing) {
    k.traceOutcome(
      dev.bus.notifier,
      bind,
      ret,
      'driver_sysfs_add',
      veto ? 'honoured' : 'ignored',
      veto
        ? 'driver_sysfs_add() returns -EINVAL: the bind stops before the probe'
        : k.stopBindOnNotifyBad
          ? 'driver_sysfs_add() stops a bind only on exactly NOTIFY_BAD'
          : 'driver_sysfs_add() ignores the answer',
    );
  }
  if (veto) return -EINVAL;
  return driverLinksAdd(k, dev);
}

/**
 * The two links of driver_sysfs_add(): the device's `driver` link already there (a second bind racing the first
 * past v4.12's unlocked dev->driver check in bind_store()) is sysfs's duplicate warning and -EEXIST.
 */
function driverLinksAdd(k: KernelImpl, dev: DeviceImpl): number {
  if (dev.linked) {
    k.sysfsDuplicate(`${dev.path.slice('/sys'.length)}/driver`);
    return -EEXIST;
  }
  dev.linked = true;
  return 0;
}

/** Models driver_sysfs_remove(), drivers/base/dd.c: both links go (nothing is sent). */
function driverSysfsRemove(dev: DeviceImpl): void {
  if (dev.driver !== null) dev.linked = false;
}

/** Models device_bind_driver(), drivers/base/dd.c: for callers that set dev->driver themselves. */
export function deviceBindDriver(k: KernelImpl, dev: DeviceImpl): number {
  const ret = driverSysfsAdd(k, dev);
  if (ret === 0) driverBound(k, dev);
  else {
    k.traceBind('not-bound', dev, dev.driver!);
    k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_DRIVER_NOT_BOUND, 'device_bind_driver');
  }
  return ret;
}

/**
 * Models really_probe(), drivers/base/dd.c (v4.12 order; pinctrl, dma_configure and PM domains always succeed):
 * 1 bound, 0 not (whatever the reason).
 */
function reallyProbe(k: KernelImpl, dev: DeviceImpl, drv: DriverImpl): number | Sleepable<number> {
  const localTriggerCount = k.deferredTriggerCount;
  k.enter('really_probe');
  if (k.dbg) k.prDebug(`bus: '${drv.bus.name}': really_probe: probing driver ${drv.name} with device ${dev.name}`);
  dev.driver = drv;
  if (driverSysfsAdd(k, dev) !== 0) {
    k.printk(KERN_ERR, `really_probe: driver_sysfs_add(${dev.name}) failed`);
    return reallyProbeEnd(k, dev, drv, 0, true, localTriggerCount);
  }
  const r = callProbe(k, dev, drv);
  return typeof r === 'number'
    ? reallyProbeEnd(k, dev, drv, r, r !== 0, localTriggerCount)
    : reallyProbeAfterSleep(k, dev, drv, r, localTriggerCount);
}

/** really_probe() past a probe that slept. */
function* reallyProbeAfterSleep(
  k: KernelImpl,
  dev: DeviceImpl,
  drv: DriverImpl,
  probing: Sleepable<number>,
  localTriggerCount: number,
): Sleepable<number> {
  const ret = yield* probing;
  return reallyProbeEnd(k, dev, drv, ret, ret !== 0, localTriggerCount);
}

/** really_probe() after the probe (v4.12): bound (1), or probe_failed with the deferral or the warning (0). */
function reallyProbeEnd(
  k: KernelImpl,
  dev: DeviceImpl,
  drv: DriverImpl,
  ret: number,
  failed: boolean,
  localTriggerCount: number,
): number {
  if (!failed) {
    driverBound(k, dev);
    if (k.dbg) k.prDebug(`bus: '${drv.bus.name}': really_probe: bound device ${dev.name} to driver ${drv.name}`);
    k.leave();
    return 1;
  }
  // probe_failed: (dma_deconfigure) then the notification, while dev->driver is still set.
  k.traceBind('not-bound', dev, drv);
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_DRIVER_NOT_BOUND, 'really_probe');
  driverSysfsRemove(dev);
  dev.driver = null;
  if (ret === -EPROBE_DEFER) {
    if (k.dbg) k.devDbg(dev, `Driver ${drv.name} requests probe deferral`);
    driverDeferredProbeAdd(k, dev);
    if (localTriggerCount !== k.deferredTriggerCount) driverDeferredProbeTrigger(k);
  } else if (ret === -ENODEV || ret === -ENXIO) {
    if (k.dbg) k.prDebug(`${drv.name}: probe of ${dev.name} rejects match ${ret}`);
  } else {
    k.printk(KERN_WARNING, `${drv.name}: probe of ${dev.name} failed with error ${ret}`);
  }
  k.leave();
  return 0;
}

/** bus->probe if the bus has one, else drv->probe, else success; counted and traced. A probe may sleep. */
function callProbe(k: KernelImpl, dev: DeviceImpl, drv: DriverImpl): number | Sleepable<number> {
  drv.probeCalls++;
  if (k.probeFaults !== null) {
    const injected = k.probeFault(drv, dev);
    if (injected !== null) return injected;
  }
  const busProbe = dev.bus.ops.probe;
  if (busProbe !== null) return busProbe(dev);
  if (drv.probeFn !== null) return k.runDriverProbe(drv, dev, dev.bus.ops.matchId?.(dev, drv) ?? null);
  return 0;
}

/**
 * Models really_probe(), drivers/base/dd.c of 6.12: dev->driver set, then the bus's dma_configure() (a refusal, such
 * as -EBUSY in a group userspace owns, unwinds at once: no bus event, no line, no probe), driver_sysfs_add() with
 * BUS_NOTIFY_BIND_DRIVER, call_driver_probe(), driver_bound(). 0 bound; a negative errno from dma_configure() or
 * the links; the probe's error as a positive number (after BUS_NOTIFY_DRIVER_NOT_BOUND and dma_cleanup()).
 */
function* reallyProbeModern(k: KernelImpl, dev: DeviceImpl, drv: DriverImpl): Sleepable<number> {
  k.enter('really_probe');
  if (k.dbg) k.devDbg(dev, `bus: '${drv.bus.name}': really_probe: probing driver ${drv.name} with device`);
  dev.driver = drv;
  const bus = dev.bus.ops;
  let ret = bus.dmaConfigure === undefined ? 0 : bus.dmaConfigure(dev, drv);
  if (ret !== 0) {
    // pinctrl_bind_failed: device_links_no_driver(), device_unbind_cleanup(). The kernel prints nothing here.
    if (k.tracing) {
      const name = errname(-ret);
      k.traceBindRefused(
        dev,
        drv,
        `${dev.bus.name}_dma_configure() returned ${ret}${name === undefined ? '' : ` (${name})`}, before driver_sysfs_add(): no bus event, no probe`,
      );
    }
    dev.driver = null;
    k.leave();
    return ret;
  }
  ret = driverSysfsAdd(k, dev);
  if (ret !== 0) {
    k.devPrintk(KERN_ERR, dev, 'really_probe: driver_sysfs_add failed');
  } else {
    ret = yield* callDriverProbe(k, dev, drv);
    if (ret === 0) {
      driverBound(k, dev);
      if (k.dbg) k.devDbg(dev, `bus: '${drv.bus.name}': really_probe: bound device to driver ${drv.name}`);
      k.leave();
      return 0;
    }
    // Probe errors go up as positive values, so that callers tell them from the core's own.
    ret = -ret;
    driverSysfsRemove(dev);
  }
  // sysfs_failed:
  k.traceBind('not-bound', dev, drv);
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_DRIVER_NOT_BOUND, 'really_probe');
  bus.dmaCleanup?.(dev, drv);
  dev.driver = null;
  k.leave();
  return ret;
}

/** Models call_driver_probe(), drivers/base/dd.c (6.12): the probe, and its line for an error. */
function* callDriverProbe(k: KernelImpl, dev: DeviceImpl, drv: DriverImpl): Sleepable<number> {
  const r = callProbe(k, dev, drv);
  const ret = typeof r === 'number' ? r : yield* r;
  if (ret === 0) return 0;
  if (ret === -EPROBE_DEFER) {
    if (k.dbg) k.devDbg(dev, `Driver ${drv.name} requests probe deferral`);
  } else if (ret === -ENODEV || ret === -ENXIO) {
    if (k.dbg) k.devDbg(dev, `probe with driver ${drv.name} rejects match ${ret}`);
  } else if (k.version.probeFailure === 'dev_err') {
    k.devPrintk(KERN_ERR, dev, `probe with driver ${drv.name} failed with error ${ret}`);
  } else {
    k.printk(KERN_WARNING, `${drv.name}: probe of ${dev.name} failed with error ${ret}`);
  }
  return ret;
}

/**
 * Models __driver_probe_device(), drivers/base/dd.c (6.12): -ENODEV for a device not registered, -EBUSY for one
 * that has a driver, else really_probe().
 */
function driverProbeDeviceModern(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): number | Sleepable<number> {
  if (!dev.isRegistered) return -ENODEV;
  if (dev.driver !== null) return -EBUSY;
  if (k.dbg) k.devDbg(dev, `bus: '${drv.bus.name}': __driver_probe_device: matched device with driver ${drv.name}`);
  return reallyProbeModern(k, dev, drv);
}

/**
 * Models device_driver_attach(), drivers/base/dd.c (v5.14 on), what the sysfs `bind` file calls: the device's lock,
 * __driver_probe_device() (a deferral is not listed), then 0, or the error as a negative errno with -EPROBE_DEFER
 * turned into -EAGAIN.
 */
export function* deviceDriverAttach(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): Sleepable<number> {
  let ret = yield* k.withDeviceLock(dev, () => driverProbeDeviceModern(k, drv, dev));
  if (ret > 0) ret = -ret;
  return ret === -EPROBE_DEFER ? -EAGAIN : ret;
}

/**
 * Models driver_probe_device(), drivers/base/dd.c. v4.12: -ENODEV for an unregistered device, else really_probe()
 * (1 bound, 0 not). 6.12: __driver_probe_device() (0 bound, a negative errno, or a positive probe error), and a
 * deferral (either sign) puts the device on the deferred list.
 */
export function driverProbeDevice(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): number | Sleepable<number> {
  if (k.version.bindErrno) return driverProbeDeviceDeferring(k, drv, dev);
  if (!dev.isRegistered) return -ENODEV;
  if (k.dbg)
    k.prDebug(`bus: '${drv.bus.name}': driver_probe_device: matched device ${dev.name} with driver ${drv.name}`);
  return reallyProbe(k, dev, drv);
}

/** driver_probe_device() of 6.12: __driver_probe_device(), and a deferral (either sign) lists the device. */
function* driverProbeDeviceDeferring(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): Sleepable<number> {
  const localTriggerCount = k.deferredTriggerCount;
  const r = driverProbeDeviceModern(k, drv, dev);
  const ret = typeof r === 'number' ? r : yield* r;
  if (ret === -EPROBE_DEFER || ret === EPROBE_DEFER) {
    driverDeferredProbeAdd(k, dev);
    if (localTriggerCount !== k.deferredTriggerCount) driverDeferredProbeTrigger(k);
  }
  return ret;
}

/**
 * The match step shared by __device_attach_driver() and __driver_attach(), drivers/base/dd.c: null to go on and
 * probe (a match, or -EPROBE_DEFER, which also puts the device on the deferred list and still probes in v4.12),
 * else what the caller returns (0: no match; another negative: the bus failed to match).
 */
function matchBeforeProbe(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): number | null {
  const ret = driverMatchDevice(drv, dev);
  if (ret === 0) return 0;
  if (ret === -EPROBE_DEFER) {
    k.devDbg(dev, 'Device match requests probe deferral');
    driverDeferredProbeAdd(k, dev);
  } else if (ret < 0) {
    if (k.dbg) k.devDbg(dev, `Bus failed to match device: ${ret}`);
    return ret;
  }
  return null;
}

/** Models __device_attach_driver(), drivers/base/dd.c (every driver is synchronous in sim). */
function deviceAttachDriver(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): number | Sleepable<number> {
  if (k.version.bindErrno) return deviceAttachDriverModern(k, drv, dev);
  if (dev.driver !== null) return -EBUSY;
  const refused = matchBeforeProbe(k, drv, dev);
  if (refused !== null) return refused;
  return driverProbeDevice(k, drv, dev);
}

/**
 * Models __device_attach_driver(), drivers/base/dd.c (6.12): a match of -EPROBE_DEFER lists the device and stops
 * the walk; another negative match stops it; a negative probe result (a dma_configure() refusal) stops it; a probe
 * that failed lets the next driver try. 1 bound.
 */
function* deviceAttachDriverModern(k: KernelImpl, drv: DriverImpl, dev: DeviceImpl): Sleepable<number> {
  const match = driverMatchDevice(drv, dev);
  if (match === 0) return 0;
  if (match === -EPROBE_DEFER) {
    k.devDbg(dev, 'Device match requests probe deferral');
    driverDeferredProbeAdd(k, dev);
    return match;
  }
  if (match < 0) {
    if (k.dbg) k.devDbg(dev, `Bus failed to match device: ${match}`);
    return match;
  }
  const r = driverProbeDevice(k, drv, dev);
  const ret = typeof r === 'number' ? r : yield* r;
  if (ret < 0) return ret;
  return ret === 0 ? 1 : 0;
}

/**
 * Models __device_attach(), drivers/base/dd.c (device_attach() and device_initial_probe()): under the device
 * lock, bind a pre-set driver or try each driver of the bus in order. 1 bound, 0 none, or a match error. Runs as
 * plain calls while nothing sleeps (the lock free outside a task run, each probe returning at once); a sleepable
 * path from there on.
 */
export function deviceAttach(k: KernelImpl, dev: DeviceImpl, _initial: boolean): number | Sleepable<number> {
  if (dev.locked || k.sched.multi) return deviceAttachLocking(k, dev);
  dev.locked = true;
  let sleeping = false;
  try {
    const r = deviceAttachLocked(k, dev);
    if (typeof r === 'number') return r;
    sleeping = true;
    return unlockAfter(k, dev, r);
  } finally {
    if (!sleeping) k.deviceUnlock(dev);
  }
}

/** __device_attach() taking a lock that may make it wait (a task run, or a lock held). */
function* deviceAttachLocking(k: KernelImpl, dev: DeviceImpl): Sleepable<number> {
  yield* k.deviceLock(dev);
  try {
    const r = deviceAttachLocked(k, dev);
    return typeof r === 'number' ? r : yield* r;
  } finally {
    k.deviceUnlock(dev);
  }
}

/** device_unlock() once a path that went to sleep under the lock ends. */
function* unlockAfter(k: KernelImpl, dev: DeviceImpl, path: Sleepable<number>): Sleepable<number> {
  try {
    return yield* path;
  } finally {
    k.deviceUnlock(dev);
  }
}

/** The body of __device_attach() under the device's lock. */
function deviceAttachLocked(k: KernelImpl, dev: DeviceImpl): number | Sleepable<number> {
  if (dev.driver !== null) {
    if (dev.isBound) return 1;
    if (deviceBindDriver(k, dev) === 0) return 1;
    dev.driver = null;
    return 0;
  }
  return attachDrivers(k, dev, dev.bus.driversByName.values());
}

/** bus_for_each_drv() with __device_attach_driver, from where `drivers` stands; stops at the first non-zero. */
function attachDrivers(k: KernelImpl, dev: DeviceImpl, drivers: Iterator<DriverImpl>): number | Sleepable<number> {
  for (let n = drivers.next(); n.done !== true; n = drivers.next()) {
    const r = deviceAttachDriver(k, n.value, dev);
    if (typeof r !== 'number') return attachDriversAfterSleep(k, dev, drivers, r);
    if (r !== 0) return r;
  }
  return 0;
}

/** attachDrivers() past a driver whose probe slept. */
function* attachDriversAfterSleep(
  k: KernelImpl,
  dev: DeviceImpl,
  drivers: Iterator<DriverImpl>,
  probing: Sleepable<number>,
): Sleepable<number> {
  const ret = yield* probing;
  if (ret !== 0) return ret;
  const r = attachDrivers(k, dev, drivers);
  return typeof r === 'number' ? r : yield* r;
}

/**
 * Models __driver_attach(), drivers/base/dd.c: match, then probe under the parent's and the device's locks. 6.12:
 * under the device's lock only (no sim bus sets need_parent_lock), and no result stops driver_attach().
 */
function* driverAttachDevice(k: KernelImpl, dev: DeviceImpl, drv: DriverImpl): Sleepable<number> {
  if (k.version.bindErrno) {
    const match = driverMatchDevice(drv, dev);
    if (match === 0) return 0;
    if (match === -EPROBE_DEFER) {
      k.devDbg(dev, 'Device match requests probe deferral');
      driverDeferredProbeAdd(k, dev);
      return 0;
    }
    if (match < 0) {
      if (k.dbg) k.devDbg(dev, `Bus failed to match device: ${match}`);
      return 0;
    }
    yield* k.withDeviceLock(dev, () => driverProbeDevice(k, drv, dev));
    return 0;
  }
  const refused = matchBeforeProbe(k, drv, dev);
  if (refused !== null) return refused;
  yield* k.withDeviceLocks(dev, true, () => (dev.driver === null ? driverProbeDevice(k, drv, dev) : 0));
  return 0;
}

/** Models driver_attach(), drivers/base/dd.c: bus_for_each_dev() with __driver_attach, stopping on an error. */
export function* driverAttach(k: KernelImpl, drv: DriverImpl): Sleepable<number> {
  for (const dev of drv.bus.devicesByName.values()) {
    const ret = yield* driverAttachDevice(k, dev, drv);
    if (ret !== 0) return ret;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Release

/** Models __device_release_driver(), drivers/base/dd.c. */
function* deviceReleaseDriverLocked(k: KernelImpl, dev: DeviceImpl): Sleepable<number> {
  const drv = dev.driver;
  if (drv === null) return 0;
  k.enter('__device_release_driver');
  driverSysfsRemove(dev);
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_UNBIND_DRIVER, '__device_release_driver');
  const busRemove = dev.bus.ops.remove;
  const removed = busRemove !== null ? busRemove(dev) : drv.removeFn !== null ? k.runDriverRemove(drv, dev) : undefined;
  if (removed !== undefined) yield* removed;
  // 6.12: bus->dma_cleanup(), which gives the IOMMU group's default domain back (iommu_device_unuse_default_domain).
  if (k.version.dmaOwnership) dev.bus.ops.dmaCleanup?.(dev, drv);
  dev.driver = null;
  if (dev.isBound) {
    drv.devices_.delete(dev);
    if (k.deferredWatch !== null) k.deferredWatch.bound ^= bindingHash(dev, drv);
  }
  dev.isBound = false;
  k.traceBind('unbound', dev, drv);
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_UNBOUND_DRIVER, '__device_release_driver');
  k.leave();
  return 0;
}

/** Models device_release_driver_internal(), drivers/base/dd.c. */
function* deviceReleaseDriverInternal(
  k: KernelImpl,
  dev: DeviceImpl,
  drv: DriverImpl | null,
  lockParent: boolean,
): Sleepable<void> {
  // 6.12 takes the parent's lock only for a device type with need_parent_lock (USB interfaces), none in sim.
  yield* k.withDeviceLocks(dev, lockParent && !k.version.bindErrno, () =>
    drv === null || drv === dev.driver ? deviceReleaseDriverLocked(k, dev) : 0,
  );
}

/** Models device_release_driver(), drivers/base/dd.c. */
export function deviceReleaseDriver(k: KernelImpl, dev: DeviceImpl): Sleepable<void> {
  return deviceReleaseDriverInternal(k, dev, null, false);
}

/** Models driver_detach(), drivers/base/dd.c: releases the driver's devices, last bound first. */
export function* driverDetach(k: KernelImpl, drv: DriverImpl): Sleepable<void> {
  // The kernel takes the list's tail until the list is empty; a snapshot walked backwards does the same work in
  // linear time, and the outer loop picks up any device bound meanwhile.
  while (drv.devices_.size > 0) {
    const devices = drv.devices_.toArray();
    for (let i = devices.length - 1; i >= 0; i--) {
      const dev = devices[i]!;
      if (dev.driver === drv && dev.isBound) yield* deviceReleaseDriverInternal(k, dev, drv, true);
    }
  }
}
