import { EBUSY, EPROBE_DEFER } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { KERN_ERR, KERN_WARNING } from '../kernel/printk.ts';
import type { Sleepable } from '../kernel/sched.ts';
import { msleep } from '../kernel/wait.ts';
import type { Bus, BusImpl } from './bus.ts';
import { busAddDriver, busRemoveDriver } from './bus.ts';
import type { Device } from './device.ts';
import { DriverDevices } from './klist.ts';

/** A PCI id table entry (struct pci_device_id, include/linux/mod_devicetable.h); omitted fields match anything. */
export interface PciDeviceId {
  readonly vendor: number;
  readonly device: number;
  /** Default PCI_ANY_ID. */
  readonly subvendor?: number;
  /** Default PCI_ANY_ID. */
  readonly subdevice?: number;
  /** Default 0 (with classMask 0: any class). */
  readonly class?: number;
  readonly classMask?: number;
  readonly driverData?: number;
}

/** What a probe does, described as data. */
export type ProbeOutcome =
  /** Probe succeeds (0). */
  | 'ok'
  /** Probe returns -EPROBE_DEFER every time. */
  | 'defer'
  /** Probe returns this int (a negative errno such as -12, or any value). */
  | { readonly errno: number }
  /** Probe returns -EPROBE_DEFER until some device is bound to the named driver. */
  | { readonly deferUntil: string }
  /** Probe sleeps `sleepMs` of simulated time (msleep(): another task may run), then returns `errno` (default 0). */
  | { readonly sleepMs: number; readonly errno?: number };

/** What a probe function is given besides the device. */
export interface ProbeContext {
  /** The kernel the probe runs in. */
  readonly kernel: unknown;
  /** The id table entry that matched (PCI: a PciDeviceId; platform and i2c: the matching name), or null. */
  readonly id: PciDeviceId | string | null;
}

/**
 * A driver's probe as code: returns 0 on success or a negative errno; a probe that sleeps returns a sleepable path
 * (a generator: `function* () { yield* kernel.msleep(20); return 0; }`) whose result is the probe's.
 */
export type ProbeFn = (dev: Device, ctx: ProbeContext) => number | Sleepable<number>;
/** A driver's remove: returns nothing, or a sleepable path for one that sleeps (vfio's waits for userspace). */
export type RemoveFn = (dev: Device, ctx: { readonly kernel: unknown }) => void | Sleepable<void>;

/** A driver, described as data or with code. */
export interface DriverSpec {
  readonly name: string;
  /** The bus it registers on: 'pci', 'platform', 'i2c' or a custom bus. */
  readonly bus: string;
  /**
   * The id table: PciDeviceId objects on PCI (omit for a NULL table, as pci-stub has); device names on platform
   * and i2c (platform_device_id / i2c_device_id names).
   */
  readonly ids?: readonly (PciDeviceId | string)[];
  /** Device-tree compatible strings the driver matches (of_match_table). */
  readonly ofMatch?: readonly string[];
  /** What the probe does; omitted, the driver has no probe and binds without one (as 'ok' does). */
  readonly probe?: ProbeOutcome | ProbeFn;
  /** Called on unbind, after BUS_NOTIFY_UNBIND_DRIVER. */
  readonly remove?: RemoveFn;
  /** struct device_driver suppress_bind_attrs: no bind/unbind files. */
  readonly suppressBindAttrs?: boolean;
  /**
   * driver_managed_dma (struct pci_driver / platform_driver, v5.19): the driver does not use the kernel's DMA API
   * (vfio-pci, pci-stub, pcieport), so on 6.12 binding it neither takes nor needs the IOMMU group's default domain.
   * Default false. v4.12 has no such field and ignores it.
   */
  readonly driverManagedDma?: boolean;
}

/** Models struct device_driver, include/linux/device.h, as the bind path sees it. */
export interface Driver {
  readonly name: string;
  readonly bus: Bus;
  /** The devices bound to it (klist_devices), in bind order. */
  devices(): Device[];
  readonly suppressBindAttrs: boolean;
  /** PCI static id table, or null (NULL table); names on platform and i2c. */
  readonly ids: readonly (PciDeviceId | string)[] | null;
  /** PCI dynamic ids added through new_id, in order. */
  dynids(): PciDeviceId[];
  /** How many times its probe has been called. */
  readonly probeCalls: number;
  /** driver_managed_dma (6.12): binding it leaves the IOMMU group's DMA ownership alone. */
  readonly driverManagedDma: boolean;
}

/** The driver core's side of a driver. */
export class DriverImpl implements Driver {
  readonly devices_ = new DriverDevices();
  readonly dynids_: PciDeviceId[] = [];
  probeCalls = 0;
  /** On the bus's driver list (between bus_add_driver() and bus_remove_driver()). */
  registered = false;
  /** The driver's probe and remove as frames of the call path. */
  readonly probeFrame: string;
  readonly removeFrame: string;

  constructor(
    readonly name: string,
    readonly bus: BusImpl,
    readonly ids: readonly (PciDeviceId | string)[] | null,
    readonly ofMatch: readonly string[],
    readonly probeFn: ProbeFn | null,
    readonly removeFn: RemoveFn | null,
    readonly suppressBindAttrs: boolean,
    readonly driverManagedDma: boolean,
  ) {
    this.probeFrame = `${name} probe`;
    this.removeFrame = `${name} remove`;
  }

  devices(): Device[] {
    return this.devices_.toArray();
  }

  dynids(): PciDeviceId[] {
    return [...this.dynids_];
  }
}

const ERRNO_LIMIT = 0x7fffffff;

/** Turns a probe described as data into a probe function. */
function probeFromOutcome(k: KernelImpl, outcome: ProbeOutcome): ProbeFn {
  if (outcome === 'ok') return () => 0;
  if (outcome === 'defer') return () => -EPROBE_DEFER;
  if ('sleepMs' in outcome) {
    const ns = outcome.sleepMs * 1_000_000;
    const ret = outcome.errno ?? 0;
    return () => sleepingProbe(ns, ret);
  }
  if ('errno' in outcome) {
    const ret = outcome.errno;
    return () => ret;
  }
  const supplier = outcome.deferUntil;
  return () => (k.isDriverBound(supplier) ? 0 : -EPROBE_DEFER);
}

/** A probe that sleeps (msleep()), then returns `ret`. */
function* sleepingProbe(ns: number, ret: number): Sleepable<number> {
  yield* msleep(ns);
  return ret;
}

/** Checks a DriverSpec and builds the driver (nothing is registered). Throws SimError on misuse. */
export function makeDriver(k: KernelImpl, spec: DriverSpec): DriverImpl {
  if (typeof spec !== 'object' || spec === null) {
    throw new SimError(
      'SIM_ERR_DRIVER_BAD_SPEC',
      `a driver is described by { name, bus, ids?, probe? }, got ${show(spec)}`,
    );
  }
  if (typeof spec.name !== 'string' || spec.name === '' || spec.name.includes('/')) {
    throw new SimError(
      'SIM_ERR_DRIVER_BAD_SPEC',
      `driver name ${show(spec.name)} is not usable; give a non-empty name without '/', such as 'snd_hda_intel'`,
    );
  }
  const bus = k.busOrThrow(spec.bus, `driver '${spec.name}'`);
  let ids: (PciDeviceId | string)[] | null = null;
  if (spec.ids !== undefined) {
    if (!Array.isArray(spec.ids)) {
      throw new SimError(
        'SIM_ERR_DRIVER_BAD_SPEC',
        `driver '${spec.name}': ids must be an array, got ${show(spec.ids)}`,
      );
    }
    ids = spec.ids.map((id) => bus.ops.checkId(spec.name, id));
  }
  const ofMatch = spec.ofMatch ?? [];
  if (!Array.isArray(ofMatch) || ofMatch.some((c) => typeof c !== 'string')) {
    throw new SimError(
      'SIM_ERR_DRIVER_BAD_SPEC',
      `driver '${spec.name}': ofMatch must be an array of compatible strings such as ['ti,keystone-uart'], got ${show(spec.ofMatch)}`,
    );
  }
  // No probe at all is the kernel's "driver without probe": the bind succeeds without calling anything.
  const probe = spec.probe;
  let probeFn: ProbeFn | null = null;
  if (probe === undefined) {
    probeFn = null;
  } else if (typeof probe === 'function') {
    probeFn = probe;
  } else if (
    probe === 'ok' ||
    probe === 'defer' ||
    (typeof probe === 'object' &&
      probe !== null &&
      (('sleepMs' in probe &&
        Number.isInteger(probe.sleepMs) &&
        probe.sleepMs >= 0 &&
        probe.sleepMs <= 86_400_000 &&
        (probe.errno === undefined || (Number.isInteger(probe.errno) && Math.abs(probe.errno) <= ERRNO_LIMIT))) ||
        ('errno' in probe && Number.isInteger(probe.errno) && Math.abs(probe.errno as number) <= ERRNO_LIMIT) ||
        ('deferUntil' in probe && typeof probe.deferUntil === 'string' && probe.deferUntil !== '')))
  ) {
    probeFn = probeFromOutcome(k, probe);
  } else {
    throw new SimError(
      'SIM_ERR_DRIVER_BAD_SPEC',
      `driver '${spec.name}': probe ${show(probe)} is not one of 'ok', 'defer', { errno: -12 }, { deferUntil: 'driver' }, { sleepMs: 20, errno?: -5 } or a function`,
    );
  }
  if (spec.remove !== undefined && typeof spec.remove !== 'function') {
    throw new SimError(
      'SIM_ERR_DRIVER_BAD_SPEC',
      `driver '${spec.name}': remove must be a function, got ${show(spec.remove)}`,
    );
  }
  if (spec.driverManagedDma !== undefined && typeof spec.driverManagedDma !== 'boolean') {
    throw new SimError(
      'SIM_ERR_DRIVER_BAD_SPEC',
      `driver '${spec.name}': driverManagedDma must be true or false, got ${show(spec.driverManagedDma)}`,
    );
  }
  return new DriverImpl(
    spec.name,
    bus,
    ids,
    ofMatch,
    probeFn,
    spec.remove ?? null,
    spec.suppressBindAttrs === true,
    spec.driverManagedDma === true,
  );
}

/** Models driver_find(), drivers/base/driver.c. */
export function driverFind(bus: BusImpl, name: string): DriverImpl | undefined {
  return bus.driversByName.get(name);
}

/** Models driver_register(), drivers/base/driver.c. */
export function* driverRegister(k: KernelImpl, drv: DriverImpl): Sleepable<number> {
  const bus = drv.bus;
  k.enter('driver_register');
  // A bus with its own probe calls the driver's typed probe itself; only a custom bus with a probe and a driver
  // that also has one gets the kernel's complaint.
  if (
    bus.ops.custom &&
    ((bus.ops.probe !== null && drv.probeFn !== null) || (bus.ops.remove !== null && drv.removeFn !== null))
  ) {
    k.printk(KERN_WARNING, `Driver '${drv.name}' needs updating - please use bus_type methods`);
  }
  if (driverFind(bus, drv.name) !== undefined) {
    k.printk(KERN_ERR, `Error: Driver '${drv.name}' is already registered, aborting...`);
    k.leave();
    return -EBUSY;
  }
  const ret = yield* busAddDriver(k, drv);
  k.leave();
  return ret;
}

/** Models driver_unregister(), drivers/base/driver.c. */
export function* driverUnregister(k: KernelImpl, drv: DriverImpl): Sleepable<void> {
  k.enter('driver_unregister');
  yield* busRemoveDriver(k, drv);
  k.leave();
}
