import { EEXIST, EINVAL } from '../constants/errno.ts';
import { attr, type KernfsNode, link, type StaticDir, ViewDir } from '../fs/kernfs.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { KERN_ERR } from '../kernel/printk.ts';
import type { Sleepable } from '../kernel/sched.ts';
import { type BusImpl, busAddDevice, busProbeDevice, busRemoveDevice, ueventStore } from './bus.ts';
import { driverDeferredProbeDel } from './dd.ts';
import type { DeviceImpl, DeviceParentDir } from './device.ts';

/**
 * A directory under /sys/devices that holds devices without being one (platform, pci0000:00, ...). It keeps no
 * list of its own: its devices are those of the buses whose container it is, so a million devices on the root
 * PCI bus cost it nothing.
 */
export class DeviceContainer implements DeviceParentDir {
  extra: StaticDir | null = null;
  readonly dir: ViewDir;
  /** The buses whose devices were ever put here (usually one). */
  private readonly buses = new Set<BusImpl>();

  constructor(k: KernelImpl) {
    this.dir = new ViewDir(() => ({}), this, childDevices(k, this));
  }

  child(name: string): DeviceImpl | undefined {
    for (const bus of this.buses) {
      const dev = bus.devicesByName.get(name);
      if (dev !== undefined && dev.container === this) return dev;
    }
    return undefined;
  }

  childNames(): string[] {
    const names: string[] = [];
    for (const bus of this.buses) {
      for (const dev of bus.devicesByName.values()) if (dev.container === this) names.push(dev.name);
    }
    return names;
  }

  addChild(dev: DeviceImpl): void {
    this.buses.add(dev.bus);
  }

  /** True when child() looked the name up on this bus already (busAddDevice() need not again). */
  covers(bus: BusImpl): boolean {
    return this.buses.has(bus);
  }

  removeChild(): void {}
}

/** Lookup and listing of the device directories under a device or a container. */
function childDevices(k: KernelImpl, holder: DeviceParentDir) {
  return {
    lookup: (name: string): KernfsNode | undefined => {
      const dev = holder.child(name);
      return dev === undefined ? undefined : deviceDir(k, dev);
    },
    list: (): string[] => holder.childNames(),
  };
}

/** The directory of a device: uevent, subsystem, driver (while linked), the bus's attributes, extras, children. */
export function deviceDir(k: KernelImpl, dev: DeviceImpl): ViewDir {
  return new ViewDir(
    () => {
      const own: Record<string, KernfsNode> = {
        uevent: attr(0o644, () => deviceUevent(dev), ueventStore),
        subsystem: link(`/sys/bus/${dev.bus.name}`),
        ...dev.bus.ops.deviceAttrs?.(dev),
      };
      if (dev.linked && dev.driver !== null) own.driver = link(`/sys/bus/${dev.bus.name}/drivers/${dev.driver.name}`);
      return own;
    },
    dev,
    childDevices(k, dev),
  );
}

/** The uevent file's show: the environment a uevent for this device would carry. */
function deviceUevent(dev: DeviceImpl): string {
  const lines: string[] = [];
  if (dev.driver !== null) lines.push(`DRIVER=${dev.driver.name}`);
  if (dev.ofNode !== null) for (const [i, c] of dev.ofNode.compatible.entries()) lines.push(`OF_COMPATIBLE_${i}=${c}`);
  lines.push(...(dev.bus.ops.ueventVars?.(dev) ?? []));
  return lines.map((l) => `${l}\n`).join('');
}

/** Models device_add(), drivers/base/core.c (v4.12 order). 0, or -EEXIST for a name already taken. */
export function deviceAdd(k: KernelImpl, dev: DeviceImpl): number | Sleepable<number> {
  k.enter('device_add');
  if (dev.name === '') {
    k.leave();
    return -EINVAL;
  }
  if (k.dbg) k.prDebug(`device: '${dev.name}': device_add`);
  // kobject_add(): the directory, unless its name is taken in the parent directory.
  const container = dev.container;
  if (container.child(dev.name) !== undefined) {
    k.sysfsDuplicate(dev.path.slice('/sys'.length));
    k.printk(
      KERN_ERR,
      `kobject_add_internal failed for ${dev.name} with -EEXIST, don't try to register things with the same name in the same directory.`,
    );
    k.leave();
    return -EEXIST;
  }
  // A container that holds devices of this bus has just looked the name up on it.
  const busChecked = container instanceof DeviceContainer && container.covers(dev.bus);
  container.addChild(dev);
  dev.isRegistered = true;
  const err = busAddDevice(k, dev, busChecked);
  if (err !== 0) {
    dev.container.removeChild(dev);
    dev.isRegistered = false;
    k.leave();
    return err;
  }
  if (k.tracing) k.traceDevice('add', dev);
  // Added while a plugin's setup runs: removed again if the setup fails.
  if (k.journaling) k.journalUndo(() => k.undoAdd(dev));
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_ADD_DEVICE, 'device_add');
  const probing = busProbeDevice(k, dev);
  if (typeof probing !== 'number') return leaveAfter(k, probing);
  k.leave();
  return 0;
}

/** The frame left, and 0, once a path that went to sleep ends. */
function* leaveAfter(k: KernelImpl, path: Sleepable<unknown>): Sleepable<number> {
  yield* path;
  k.leave();
  return 0;
}

/** Models device_del(), drivers/base/core.c: DEL_DEVICE first, the driver released, REMOVED_DEVICE last. */
export function* deviceDel(k: KernelImpl, dev: DeviceImpl): Sleepable<void> {
  k.enter('device_del');
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_DEL_DEVICE, 'device_del');
  yield* busRemoveDevice(k, dev);
  driverDeferredProbeDel(k, dev);
  k.busNotifyIgnored(dev, k.busEvents.BUS_NOTIFY_REMOVED_DEVICE, 'device_del');
  // kobject_del(): the directory goes, with whatever kernel code left in it.
  dev.container.removeChild(dev);
  dev.isRegistered = false;
  dev.extra = null;
  if (k.tracing) k.traceDevice('del', dev);
  k.leave();
}
