import { EEXIST, EINVAL, ENODEV } from '../constants/errno.ts';
import { checkString } from '../errors/check.ts';
import { attr, type KernfsNode, link, type StoreFn, sysfsStreq, ViewDir } from '../fs/kernfs.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { asSleepable, type Sleepable, zeroAfter } from '../kernel/sched.ts';
import type { NotifierHead } from '../notifier/chain.ts';
import type { NotifierBlock, Registration } from '../notifier/notifier-block.ts';
import {
  deviceAttach,
  deviceDriverAttach,
  deviceReleaseDriver,
  driverAttach,
  driverDetach,
  driverMatchDevice,
  driverProbeDevice,
} from './dd.ts';
import type { Device, DeviceImpl } from './device.ts';
import type { Driver, DriverImpl, PciDeviceId } from './driver.ts';
import { DeviceIndex } from './klist.ts';

/** What a bus type provides (struct bus_type's callbacks, plus its sysfs attributes). */
export interface BusOps {
  readonly name: string;
  /** A bus registered with kernel.busRegister() rather than one sim models. */
  readonly custom: boolean;
  /** bus->match: 0 no match, >0 match, <0 an error (-EPROBE_DEFER: match later). */
  match(dev: DeviceImpl, drv: DriverImpl): number;
  /** bus->probe, or null (the driver's probe is called instead); a sleepable path when the driver's probe sleeps. */
  readonly probe: ((dev: DeviceImpl) => number | Sleepable<number>) | null;
  /** bus->remove, or null. */
  readonly remove: ((dev: DeviceImpl) => void | Sleepable<void>) | null;
  /** Checks one id table entry of a driver spec for this bus; throws SimError. */
  checkId(driver: string, id: unknown): PciDeviceId | string;
  /** Attributes of a device's directory that come from its bus (dev_groups). */
  deviceAttrs?(dev: DeviceImpl): Record<string, KernfsNode>;
  /** Attributes of a driver's directory that come from its bus (drv_groups). */
  driverAttrs?(drv: DriverImpl): Record<string, KernfsNode>;
  /** Attributes of /sys/bus/<name> (bus_groups). */
  busAttrs?(): Record<string, KernfsNode>;
  /** Extra KEY=value lines of the device's uevent file. */
  ueventVars?(dev: DeviceImpl): string[];
  /** The id a driver without a bus probe is called with (platform_get_device_id() and the like), or null. */
  matchId?(dev: DeviceImpl, drv: DriverImpl): PciDeviceId | string | null;
  /** Checks a device spec for this bus (throws SimError) and returns the add, to run inside the kernel. */
  prepareAdd(spec: unknown): () => number | Sleepable<number>;
  /** The bus's own way of removing a device (PCI: stop, then remove, bridges' children first). */
  removeDevice?(dev: DeviceImpl): number | Sleepable<number>;
  /**
   * bus->dma_configure (run by 6.12's really_probe() before driver_sysfs_add()): 0, or a negative errno that stops
   * the bind silently (-EBUSY in an IOMMU group userspace owns). Absent: the bus has none.
   */
  dmaConfigure?(dev: DeviceImpl, drv: DriverImpl): number;
  /** bus->dma_cleanup (6.12): undoes dma_configure() when the bind fails after it, or on unbind. */
  dmaCleanup?(dev: DeviceImpl, drv: DriverImpl): void;
  /** Called after driver_unregister() (PCI frees the dynamic ids). */
  driverUnregistered?(drv: DriverImpl): void;
  /** The key the bus indexes a device name by (PCI: the address as an integer); undefined: no such device. */
  indexKey?(name: string): string | number | undefined;
}

/** Models struct bus_type with its subsys_private, include/linux/device.h and drivers/base/base.h. */
export interface Bus {
  readonly name: string;
  /** The bus notifier chain (bus->p->bus_notifier), a blocking chain; data is the device. */
  readonly notifier: NotifierHead<Device | null>;
  /** Models bus_register_notifier(), drivers/base/bus.c. */
  registerNotifier(nb: NotifierBlock<Device | null>): Registration;
  /** Models bus_unregister_notifier(), drivers/base/bus.c. */
  unregisterNotifier(nb: NotifierBlock<Device | null>): number;
  /** The devices on the bus, in the order they were added (klist_devices). */
  devices(): Device[];
  /** The drivers on the bus, in registration order (klist_drivers). */
  drivers(): Driver[];
  /** Models bus_find_device_by_name(), drivers/base/bus.c (exact name). */
  findDevice(name: string): Device | undefined;
  /** Models driver_find(), drivers/base/driver.c. */
  findDriver(name: string): Driver | undefined;
  /** drivers_autoprobe. */
  readonly driversAutoprobe: boolean;
}

/** A bus as the driver core holds it. */
export class BusImpl implements Bus {
  readonly name: string;
  readonly notifier: NotifierHead<Device | null> & {
    register(nb: NotifierBlock<Device | null>): Registration;
    unregister(nb: NotifierBlock<Device | null>): number;
  };
  readonly devicesByName: DeviceIndex;
  readonly driversByName = new Map<string, DriverImpl>();
  driversAutoprobe = true;

  constructor(
    private readonly k: KernelImpl,
    readonly ops: BusOps,
  ) {
    this.name = ops.name;
    this.devicesByName = new DeviceIndex(ops.indexKey);
    this.notifier = k.createChain<'blocking', Device | null>(
      'blocking',
      this.name,
      (a) => k.busEvents.name(a) ?? `action ${a}`,
    );
  }

  registerNotifier(nb: NotifierBlock<Device | null>): Registration {
    return this.notifier.register(nb);
  }

  unregisterNotifier(nb: NotifierBlock<Device | null>): number {
    return this.notifier.unregister(nb);
  }

  devices(): Device[] {
    return [...this.devicesByName.values()];
  }

  drivers(): Driver[] {
    return [...this.driversByName.values()];
  }

  findDevice(name: string): Device | undefined {
    checkString(name, 'bus.findDevice()', 'the device name', "'0000:01:00.0'");
    return this.devicesByName.get(name);
  }

  findDriver(name: string): Driver | undefined {
    checkString(name, 'bus.findDriver()', 'the driver name', "'nouveau'");
    return this.driversByName.get(name);
  }

  /** /sys/bus/<name>. */
  sysfsDir(): ViewDir {
    const devices = new ViewDir(() => ({}), null, {
      lookup: (name) => {
        const dev = this.devicesByName.get(name);
        return dev === undefined ? undefined : link(dev.path);
      },
      list: () => [...this.devicesByName.keys()],
    });
    const drivers = new ViewDir(() => ({}), null, {
      lookup: (name) => {
        const drv = this.driversByName.get(name);
        return drv === undefined ? undefined : driverDir(this.k, drv);
      },
      list: () => [...this.driversByName.keys()],
    });
    const own: Record<string, KernfsNode> = {
      devices,
      drivers,
      drivers_probe: attr(0o200, undefined, (buf, count) => storeDriversProbe(this.k, this, buf, count)),
      drivers_autoprobe: attr(
        0o644,
        () => `${this.driversAutoprobe ? 1 : 0}\n`,
        (buf, count) => storeDriversAutoprobe(this, buf, count),
      ),
      uevent: attr(0o200, undefined, ueventStore),
      ...this.ops.busAttrs?.(),
    };
    return new ViewDir(() => own, null);
  }
}

/** Models kobject_action_type() + a uevent store (bus.c uevent_store / bus_uevent_store): always `count`. */
export const ueventStore: StoreFn = (_buf, count) => count;

/** /sys/bus/<bus>/drivers/<drv>: bind, unbind, uevent, the bus's driver attributes and one link per device. */
function driverDir(k: KernelImpl, drv: DriverImpl): ViewDir {
  const own: Record<string, KernfsNode> = {
    uevent: attr(0o200, undefined, ueventStore),
    ...drv.bus.ops.driverAttrs?.(drv),
  };
  if (!drv.suppressBindAttrs) {
    own.bind = attr(0o200, undefined, (buf, count) => bindStore(k, drv, buf, count));
    own.unbind = attr(0o200, undefined, (buf, count) => unbindStore(k, drv, buf, count));
  }
  return new ViewDir(() => own, null, {
    lookup: (name) => {
      const dev = drv.bus.devicesByName.get(name);
      return dev?.linked && dev.driver === drv ? link(dev.path) : undefined;
    },
    list: () => {
      const names: string[] = [];
      for (const dev of drv.bus.devicesByName.values()) if (dev.linked && dev.driver === drv) names.push(dev.name);
      return names;
    },
  });
}

/** Models bus_find_device_by_name(), drivers/base/bus.c: sysfs_streq() against each device name. */
export function busFindDeviceByName(bus: BusImpl, buf: string): DeviceImpl | undefined {
  const exact = bus.devicesByName.get(buf);
  if (exact !== undefined) return exact;
  if (buf.endsWith('\n')) {
    const dev = bus.devicesByName.get(buf.slice(0, -1));
    if (dev !== undefined && sysfsStreq(dev.name, buf)) return dev;
  }
  return undefined;
}

/** Models bus_add_device(), drivers/base/bus.c: the /sys/bus/<bus>/devices link and the bus's device list. */
export function busAddDevice(k: KernelImpl, dev: DeviceImpl, nameChecked = false): number {
  const bus = dev.bus;
  if (k.dbg) k.prDebug(`bus: '${bus.name}': add device ${dev.name}`);
  if (!nameChecked && bus.devicesByName.has(dev.name)) {
    k.sysfsDuplicate(`/bus/${bus.name}/devices/${dev.name}`);
    return -EEXIST;
  }
  bus.devicesByName.set(dev.name, dev);
  return 0;
}

/** Models bus_probe_device(), drivers/base/bus.c: autoprobe at device registration (device_initial_probe()). */
export function busProbeDevice(k: KernelImpl, dev: DeviceImpl): number | Sleepable<number> {
  return dev.bus.driversAutoprobe ? deviceAttach(k, dev, true) : 0;
}

/** Models bus_remove_device(), drivers/base/bus.c: links and list entry go, then the driver is released. */
export function busRemoveDevice(k: KernelImpl, dev: DeviceImpl): Sleepable<void> {
  const bus = dev.bus;
  bus.devicesByName.delete(dev.name);
  if (k.dbg) k.prDebug(`bus: '${bus.name}': remove device ${dev.name}`);
  return deviceReleaseDriver(k, dev);
}

/** Models bus_add_driver(), drivers/base/bus.c. */
export function* busAddDriver(k: KernelImpl, drv: DriverImpl): Sleepable<number> {
  const bus = drv.bus;
  if (k.dbg) k.prDebug(`bus: '${bus.name}': add driver ${drv.name}`);
  bus.driversByName.set(drv.name, drv);
  drv.registered = true;
  if (bus.driversAutoprobe) yield* driverAttach(k, drv);
  return 0;
}

/** Models bus_remove_driver(), drivers/base/bus.c: off the list, then every device released in reverse order. */
export function busRemoveDriver(k: KernelImpl, drv: DriverImpl): Sleepable<void> {
  const bus = drv.bus;
  bus.driversByName.delete(drv.name);
  drv.registered = false;
  if (k.dbg) k.prDebug(`bus: '${bus.name}': remove driver ${drv.name}`);
  return driverDetach(k, drv);
}

/**
 * Models bind_store(), drivers/base/bus.c. v4.12: -ENODEV unless the device is unbound and matches, and for any
 * failed probe. v5.14 on: no "unbound" check; device_driver_attach()'s errno (-EBUSY for a bound device or a
 * dma_configure() refusal, -EAGAIN for a deferral, the probe's own errno).
 */
export function* bindStore(k: KernelImpl, drv: DriverImpl, buf: string, count: number): Sleepable<number> {
  const dev = busFindDeviceByName(drv.bus, buf);
  if (k.version.bindErrno) {
    if (dev === undefined || driverMatchDevice(drv, dev) === 0) return -ENODEV;
    const err = yield* deviceDriverAttach(k, drv, dev);
    return err === 0 ? count : err;
  }
  // v4.12 looks at dev->driver before it takes the device's lock (v5.1 moved the check under it).
  if (dev === undefined || dev.driver !== null || driverMatchDevice(drv, dev) === 0) return -ENODEV;
  const err = yield* k.withDeviceLocks(dev, true, () => driverProbeDevice(k, drv, dev));
  if (err > 0) return count;
  if (err === 0) return -ENODEV;
  return err;
}

/** Models unbind_store(), drivers/base/bus.c. */
export function* unbindStore(k: KernelImpl, drv: DriverImpl, buf: string, count: number): Sleepable<number> {
  const dev = busFindDeviceByName(drv.bus, buf);
  if (dev === undefined || dev.driver !== drv) return -ENODEV;
  if (k.version.bindErrno) {
    // device_driver_detach(): the parent's lock only for need_parent_lock types (USB interfaces), none in sim.
    yield* deviceReleaseDriver(k, dev);
    return count;
  }
  yield* k.withParentLock(dev, () => zeroAfter(deviceReleaseDriver(k, dev)));
  return count;
}

/** Models store_drivers_autoprobe(), drivers/base/bus.c: a first byte of '0' disables, anything else enables. */
function storeDriversAutoprobe(bus: BusImpl, buf: string, count: number): number {
  bus.driversAutoprobe = buf[0] !== '0';
  return count;
}

/** Models store_drivers_probe(), drivers/base/bus.c. */
function* storeDriversProbe(k: KernelImpl, bus: BusImpl, buf: string, count: number): Sleepable<number> {
  const dev = busFindDeviceByName(bus, buf);
  if (dev === undefined) return -ENODEV;
  return (yield* busRescanDevicesHelper(k, dev)) === 0 ? count : -EINVAL;
}

/** Models bus_rescan_devices_helper(), drivers/base/bus.c: attach an unbound device; any result >= 0 is 0. */
export function* busRescanDevicesHelper(k: KernelImpl, dev: DeviceImpl): Sleepable<number> {
  let ret = 0;
  if (dev.driver === null) {
    ret = k.version.bindErrno
      ? yield* asSleepable(deviceAttach(k, dev, false))
      : yield* k.withParentLock(dev, () => deviceAttach(k, dev, false));
  }
  return Math.min(ret, 0);
}
