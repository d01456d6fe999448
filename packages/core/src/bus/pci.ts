import type { BusImpl, BusOps } from '../base/bus.ts';
import { type DeviceContainer, deviceAdd, deviceDel } from '../base/core.ts';
import { deviceAttach, deviceReleaseDriver, driverAttach } from '../base/dd.ts';
import {
  type DeviceImpl,
  iommuDeviceUnuseDefaultDomain,
  iommuDeviceUseDefaultDomain,
  PCI_ANY_ID,
  PciDev,
} from '../base/device.ts';
import type { DriverImpl, PciDeviceId } from '../base/driver.ts';
import { EEXIST, EINVAL, ENODEV, EPROBE_DEFER } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { attr, type KernfsNode } from '../fs/kernfs.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { asSleepable, type Sleepable } from '../kernel/sched.ts';
import { kstrtoul, sscanfHex } from '../lib/kstrtox.ts';
import { driverOverrideShow, driverOverrideStore } from '../lib/override.ts';
import { checkPciHw, pciHw, pciHwAttrs, setPciHw } from './pci-config.ts';
import { checkInt, checkProps } from './spec.ts';

/** pci_device_id_any: what driver_override matches with when no id does. */
const PCI_DEVICE_ID_ANY: PciDeviceId = {
  vendor: PCI_ANY_ID,
  device: PCI_ANY_ID,
  subvendor: PCI_ANY_ID,
  subdevice: PCI_ANY_ID,
  class: 0,
  classMask: 0,
  driverData: 0,
};

/** Models pci_match_one_device(), drivers/pci/pci.h. */
function matchOne(
  id: PciDeviceId,
  dev: Pick<PciDev, 'vendor' | 'device' | 'subsystemVendor' | 'subsystemDevice' | 'class'>,
): boolean {
  const any = (want: number | undefined, have: number) => want === undefined || want === PCI_ANY_ID || want === have;
  return (
    any(id.vendor, dev.vendor) &&
    any(id.device, dev.device) &&
    any(id.subvendor, dev.subsystemVendor) &&
    any(id.subdevice, dev.subsystemDevice) &&
    (((id.class ?? 0) ^ dev.class) & (id.classMask ?? 0)) === 0
  );
}

/** True for the all-zero entry that ends a kernel id table. */
function isTerminator(id: PciDeviceId): boolean {
  return id.vendor === 0 && id.subvendor === 0 && (id.classMask ?? 0) === 0;
}

/** Models pci_match_id(), drivers/pci/pci-driver.c. */
function pciMatchId(
  table: readonly (PciDeviceId | string)[] | null,
  dev: Pick<PciDev, 'vendor' | 'device' | 'subsystemVendor' | 'subsystemDevice' | 'class'>,
): PciDeviceId | null {
  if (table === null) return null;
  for (const id of table as readonly PciDeviceId[]) {
    if (isTerminator(id)) break;
    if (matchOne(id, dev)) return id;
  }
  return null;
}

/** Models pci_match_device(), drivers/pci/pci-driver.c: override gate, dynamic ids, static ids, override's any. */
function pciMatchDevice(drv: DriverImpl, dev: PciDev): PciDeviceId | null {
  if (dev.driverOverride !== null && dev.driverOverride !== drv.name) return null;
  for (const id of drv.dynids_) if (matchOne(id, dev)) return id;
  const found = pciMatchId(drv.ids, dev);
  if (found !== null) return found;
  return dev.driverOverride !== null ? PCI_DEVICE_ID_ANY : null;
}

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const HEX = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

/**
 * A PCI address 'dddd:bb:ss.f' (lower-case hex, slot <= 0x1f) packed as domain << 16 | bus << 8 | slot << 3 | fn,
 * or -1. Read digit by digit: it runs for every device added and every name looked up.
 */
function packAddress(s: string): number {
  if (s.length !== 12 || s.charCodeAt(4) !== 58 || s.charCodeAt(7) !== 58 || s.charCodeAt(10) !== 46) return -1;
  let v = 0;
  for (let i = 0; i < 12; i++) {
    if (i === 4 || i === 7 || i === 10) continue;
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  // v now holds dddd bb ss f as hex digits: 4 + 2 + 2 + 1 digits.
  const fn = v % 16;
  const slot = Math.floor(v / 16) % 256;
  const rest = Math.floor(v / 4096);
  if (slot > 31 || fn > 7) return -1;
  return rest * 256 + slot * 8 + fn;
}

/** Checks a PCI address; a SimError naming the form for a bad one. Returns it packed. */
function parseAddress(address: unknown): number {
  const packed = typeof address === 'string' ? packAddress(address) : -1;
  if (packed < 0) {
    throw new SimError(
      'SIM_ERR_DEVICE_BAD_SPEC',
      `PCI address ${show(address)} is not domain:bus:slot.function in lower-case hex with slot <= 1f, such as '0000:01:00.1'`,
    );
  }
  return packed;
}

/** The PCI bus (drivers/pci): matching, probe/remove, driver_override, new_id/remove_id, remove and rescan. */
export function pciBusOps(k: KernelImpl): BusOps {
  /**
   * The machine's PCI functions in discovery order: each slot's latest pci_dev, present or removed through sysfs (a
   * rescan finds it again, as the hardware is still there). One unplugged through the API is marked and dropped at
   * the next compaction, which runs once unplugged entries are half the list: the record stays within twice the
   * machine's slots however often a slot is re-plugged, at one array slot per function
   * (docs/decisions/2026-12-02-memory-after-removal.md).
   */
  let hardware: PciDev[] = [];
  /** Unplugged functions still in `hardware`. */
  let unpluggedInList = 0;
  /** True while a rescan walks `hardware` by index (no compaction then). */
  let rescanning = false;
  /** The functions removed through sysfs, by address. */
  const absent = new Map<string, PciDev>();
  const bus = (): BusImpl => k.busesByName.get('pci')!;
  /** The present or removed function at an address. */
  const functionAt = (address: string): PciDev | undefined =>
    (bus().devicesByName.get(address) as PciDev | undefined) ?? absent.get(address);

  /** The host bridges' directories, /sys/devices/pciDDDD:BB, by domain and bus. */
  const roots = new Map<number, { dir: string; container: DeviceContainer }>();
  function rootBus(packed: number): { dir: string; container: DeviceContainer } {
    const key = Math.floor(packed / 256);
    let root = roots.get(key);
    if (root === undefined) {
      const name = `pci${Math.floor(key / 256)
        .toString(16)
        .padStart(4, '0')}:${(key % 256).toString(16).padStart(2, '0')}`;
      root = { dir: `/sys/devices/${name}`, container: k.container(name) };
      roots.set(key, root);
    }
    return root;
  }

  /** Models pci_device_add(), drivers/pci/probe.c: device_add() while match_driver is still false. */
  function pciDeviceAdd(dev: PciDev): number | Sleepable<number> {
    k.enter('pci_device_add');
    const r = deviceAdd(k, dev);
    return typeof r === 'number' ? pciDeviceAdded(dev, r) : pciDeviceAddedAfterSleep(dev, r);
  }

  /** The end of pci_device_add(). */
  function pciDeviceAdded(dev: PciDev, ret: number): number {
    k.leave();
    if (ret === 0 && absent.size > 0) absent.delete(dev.name);
    return ret;
  }

  function* pciDeviceAddedAfterSleep(dev: PciDev, adding: Sleepable<number>): Sleepable<number> {
    return pciDeviceAdded(dev, yield* adding);
  }

  /** A new pci_dev for the function `old` describes (what a rescan finds), or null without its bridge. */
  function rediscover(old: PciDev): PciDev | null {
    const parent =
      old.parentAddress === null ? null : (bus().devicesByName.get(old.parentAddress) as PciDev | undefined);
    if (parent === undefined) return null;
    const root = parent === null ? rootBus(old.packed) : null;
    const dev = new PciDev(
      old.name,
      bus(),
      parent,
      root?.dir ?? '',
      parent ?? root!.container,
      old.props,
      old.packed,
      old.vendor,
      old.device,
      old.subsystemVendor,
      old.subsystemDevice,
      old.class,
      old.hdrType,
      old.parentAddress,
    );
    setPciHw(dev, pciHw(old));
    return dev;
  }

  /**
   * Models pci_bus_add_device(), drivers/pci/bus.c: match_driver on, device_attach(); an error other than
   * -EPROBE_DEFER is "device attach failed" (6.12: e.g. -16 when a driver's dma_configure() is refused in a group
   * userspace owns). v4.12 leaves such a device not added; 6.12 marks it added all the same.
   */
  function pciBusAddDevice(dev: PciDev): number | Sleepable<number> {
    k.enter('pci_bus_add_device');
    dev.matchDriver = true;
    const r = deviceAttach(k, dev, false);
    return typeof r === 'number' ? pciBusDeviceAdded(dev, r) : pciBusDeviceAddedAfterSleep(dev, r);
  }

  function* pciBusDeviceAddedAfterSleep(dev: PciDev, attaching: Sleepable<number>): Sleepable<number> {
    return pciBusDeviceAdded(dev, yield* attaching);
  }

  /** The end of pci_bus_add_device(): "device attach failed" for an error other than a deferral. */
  function pciBusDeviceAdded(dev: PciDev, ret: number): number {
    if (ret < 0 && ret !== -EPROBE_DEFER) {
      k.devPrintk(4, dev, `device attach failed (${ret})`);
      if (k.version.bindErrno) dev.isAdded = true;
    } else {
      dev.isAdded = true;
    }
    k.leave();
    return 0;
  }

  /** Models pci_stop_and_remove_bus_device(), drivers/pci/remove.c: stop (children last first), then remove. */
  function* stopAndRemove(dev: PciDev): Sleepable<number> {
    k.enter('pci_stop_and_remove_bus_device');
    yield* stopBusDevice(dev);
    yield* removeBusDevice(dev);
    k.leave();
    return 0;
  }

  function childrenOf(dev: PciDev): PciDev[] {
    return dev.children === null ? [] : ([...dev.children.values()].filter((c) => c.kind === 'pci') as PciDev[]);
  }

  /** Models pci_stop_bus_device() and pci_stop_dev(): drivers released, deepest and last first. */
  function* stopBusDevice(dev: PciDev): Sleepable<void> {
    for (const child of childrenOf(dev).reverse()) yield* stopBusDevice(child);
    if (dev.isAdded) {
      yield* deviceReleaseDriver(k, dev);
      dev.isAdded = false;
    }
  }

  /** Models pci_remove_bus_device() and pci_destroy_dev(): device_del(), children first. */
  function* removeBusDevice(dev: PciDev): Sleepable<void> {
    for (const child of childrenOf(dev)) yield* removeBusDevice(child);
    yield* deviceDel(k, dev);
    if (!dev.unplugged) absent.set(dev.name, dev);
  }

  /** True when the function sits on the bus behind `parent` (null: a root bus) or below it. */
  function onBusOf(dev: PciDev, parent: string | null): boolean {
    for (let at: PciDev | undefined = dev; at !== undefined; ) {
      const up = at.parentAddress;
      if (up === parent) return true;
      if (up === null) return false;
      at = functionAt(up);
    }
    return false;
  }

  /** Models pci_rescan_bus() over the chosen functions: add what is missing, then attach what is not added. */
  function* rescan(filter: (dev: PciDev) => boolean): Sleepable<number> {
    k.enter('pci_rescan_bus');
    rescanning = true;
    try {
      for (let i = 0; i < hardware.length; i++) {
        const old = hardware[i]!;
        if (old.isRegistered || old.unplugged || !filter(old)) continue;
        const dev = rediscover(old);
        if (dev !== null && (yield* asSleepable(pciDeviceAdd(dev))) === 0) hardware[i] = dev;
      }
      for (let i = 0; i < hardware.length; i++) {
        const dev = hardware[i]!;
        if (dev.isRegistered && !dev.isAdded && !dev.unplugged && filter(dev)) yield* asSleepable(pciBusAddDevice(dev));
      }
    } finally {
      rescanning = false;
    }
    compact();
    k.leave();
    return 0;
  }

  /** A function left the machine: counted, and the list compacted once they are half of it. */
  function forget(dev: PciDev): void {
    if (dev.unplugged) return;
    dev.unplugged = true;
    unpluggedInList++;
    compact();
  }

  function compact(): void {
    if (rescanning || unpluggedInList * 2 <= hardware.length) return;
    hardware = hardware.filter((d) => !d.unplugged);
    unpluggedInList = 0;
  }

  /** The function (and those below it) leaves the machine: a rescan never finds it again. */
  function unplug(dev: PciDev): void {
    forget(dev);
    if (absent.get(dev.name) === dev) absent.delete(dev.name);
    for (const child of childrenOf(dev)) unplug(child);
    // Functions behind it that were removed through sysfs leave with it.
    if (absent.size > 0) for (const gone of [...absent.values()]) if (gone.parentAddress === dev.name) unplug(gone);
  }

  /** Per function, its `remove` file's removal by a writer (kernfs's KERNFS_SUICIDAL), and whether it has ended. */
  const removing = new WeakMap<DeviceImpl, { done: boolean }>();

  /**
   * Models remove_store(), drivers/pci/pci-sysfs.c, with device_remove_file_self() (kernfs_remove_self(),
   * fs/kernfs/dir.c): of concurrent writers only the first removes the function; the others wait for its write to
   * end and return the count.
   */
  const removeStore = (dev: DeviceImpl) =>
    function* removeStore(buf: string, count: number): Sleepable<number> {
      const val = kstrtoul(buf, 0);
      if (typeof val === 'number') return val;
      if (val === 0n) return count;
      const winner = removing.get(dev);
      if (winner !== undefined) {
        yield* k.waitEvent(`kernfs_remove_self(${dev.name}/remove)`, () => winner.done);
        return count;
      }
      const self = { done: false };
      removing.set(dev, self);
      try {
        yield* k.inFrame('remove_store', stopAndRemove(dev as PciDev));
      } finally {
        self.done = true;
      }
      return count;
    };

  /** The end of local_pci_probe(), drivers/pci/pci-driver.c: a failed probe clears pci_dev->driver. */
  function localPciProbeDone(pdev: PciDev, rc: number): number {
    if (rc === 0) return 0;
    if (rc < 0) {
      pdev.pciDriver = null;
      return rc;
    }
    k.devPrintk(4, pdev, `Driver probe function unexpectedly returned ${rc}`);
    return 0;
  }

  /** local_pci_probe() around a probe that sleeps. */
  function* localPciProbeSleeping(pdev: PciDev, rc: Sleepable<number>): Sleepable<number> {
    return localPciProbeDone(pdev, yield* rc);
  }

  /** Hot-plug: the function appears in the machine, pci_device_add(), then pci_bus_add_device(). */
  function hotplug(dev: PciDev, address: string): number | Sleepable<number> {
    const old = absent.size > 0 ? absent.get(address) : undefined;
    // A taken slot: device_add() of the same name fails with -EEXIST (and its warning), nothing changes.
    const r = pciDeviceAdd(dev);
    return typeof r === 'number' ? plugged(dev, old, r) : pluggedAfterSleep(dev, old, r);
  }

  /** Hot-plug once pci_device_add() returned: the machine's list, then pci_bus_add_device(). */
  function plugged(dev: PciDev, old: PciDev | undefined, ret: number): number | Sleepable<number> {
    if (ret !== 0) return ret;
    // The slot's new function comes last in discovery order, as a hot-plugged one does.
    hardware.push(dev);
    if (old !== undefined) forget(old);
    return pciBusAddDevice(dev);
  }

  function* pluggedAfterSleep(dev: PciDev, old: PciDev | undefined, adding: Sleepable<number>): Sleepable<number> {
    return yield* asSleepable(plugged(dev, old, yield* adding));
  }

  const pciOps: BusOps = {
    name: 'pci',
    custom: false,
    indexKey: (name) => {
      const key = packAddress(name);
      return key < 0 ? undefined : key;
    },
    /** Models pci_bus_match(), drivers/pci/pci-driver.c. */
    match: (dev, drv) => {
      const pdev = dev as PciDev;
      if (!pdev.matchDriver) return 0;
      return pciMatchDevice(drv, pdev) !== null ? 1 : 0;
    },
    /** Models pci_device_probe(), __pci_device_probe() and local_pci_probe(), drivers/pci/pci-driver.c. */
    probe: (dev) => {
      const pdev = dev as PciDev;
      const drv = pdev.driver!;
      if (pdev.pciDriver !== null || drv.probeFn === null) return 0;
      const id = pciMatchDevice(drv, pdev);
      if (id === null) return -ENODEV;
      pdev.pciDriver = drv;
      const rc = k.runDriverProbe(drv, pdev, id);
      return typeof rc === 'number' ? localPciProbeDone(pdev, rc) : localPciProbeSleeping(pdev, rc);
    },
    /**
     * Models pci_dma_configure(), drivers/pci/pci-driver.c (6.12): firmware DMA set-up (always fine in sim), then,
     * for a driver that is not driver_managed_dma, iommu_device_use_default_domain().
     */
    dmaConfigure: (dev, drv) =>
      drv.driverManagedDma ? 0 : k.withFrame('pci_dma_configure', () => iommuDeviceUseDefaultDomain(dev)),
    /** Models pci_dma_cleanup(), drivers/pci/pci-driver.c (6.12). */
    dmaCleanup: (dev, drv) => {
      if (!drv.driverManagedDma) iommuDeviceUnuseDefaultDomain(dev);
    },
    /** Models pci_device_remove(), drivers/pci/pci-driver.c. */
    remove: function* pciDeviceRemove(dev): Sleepable<void> {
      const pdev = dev as PciDev;
      const drv = pdev.pciDriver;
      if (drv === null) return;
      const removing = drv.removeFn === null ? undefined : k.runDriverRemove(drv, pdev);
      if (removing !== undefined) yield* removing;
      pdev.pciDriver = null;
    },
    checkId: (driver, raw) => {
      const id = raw as Record<string, unknown>;
      if (typeof raw !== 'object' || raw === null) {
        throw new SimError(
          'SIM_ERR_DRIVER_BAD_SPEC',
          `driver '${driver}': a PCI id is { vendor, device, subvendor?, subdevice?, class?, classMask?, driverData? }, got ${show(raw)}`,
        );
      }
      const out: Record<string, number> = {};
      for (const key of ['vendor', 'device', 'subvendor', 'subdevice', 'class', 'classMask', 'driverData']) {
        const v = id[key];
        if (v === undefined && (key === 'vendor' || key === 'device')) {
          throw new SimError('SIM_ERR_DRIVER_BAD_SPEC', `driver '${driver}': PCI id ${show(raw)} has no ${key}`);
        }
        if (v !== undefined) out[key] = checkInt(v, 0, 0xffffffff, `driver '${driver}': PCI id`, key);
      }
      return out as unknown as PciDeviceId;
    },
    deviceAttrs: (dev) => {
      const p = dev as PciDev;
      return {
        vendor: attr(0o444, () => `${hex4(p.vendor)}\n`),
        device: attr(0o444, () => `${hex4(p.device)}\n`),
        subsystem_vendor: attr(0o444, () => `${hex4(p.subsystemVendor)}\n`),
        subsystem_device: attr(0o444, () => `${hex4(p.subsystemDevice)}\n`),
        class: attr(0o444, () => `0x${p.class.toString(16).padStart(6, '0')}\n`),
        ...pciHwAttrs(p),
        driver_override: attr(
          0o644,
          () => driverOverrideShow(p),
          (buf, count) => driverOverrideStore(p, buf, count),
        ),
        remove: attr(0o220, undefined, removeStore(p)),
        rescan: attr(0o220, undefined, function* devRescanStore(buf, count) {
          const val = kstrtoul(buf, 0);
          if (typeof val === 'number') return val;
          if (val !== 0n) {
            const parent = p.parentAddress;
            yield* k.inFrame(
              'dev_rescan_store',
              rescan((d) => onBusOf(d, parent)),
            );
          }
          return count;
        }),
      } satisfies Record<string, KernfsNode>;
    },
    driverAttrs: (drv) => ({
      new_id: attr(0o200, undefined, (buf, count) => storeNewId(k, drv, buf, count)),
      remove_id: attr(0o200, undefined, (buf, count) => storeRemoveId(drv, buf, count)),
    }),
    busAttrs: () => ({
      rescan: attr(0o220, undefined, function* busRescanStore(buf, count) {
        const val = kstrtoul(buf, 0);
        if (typeof val === 'number') return val;
        if (val !== 0n)
          yield* k.inFrame(
            'bus_rescan_store',
            rescan(() => true),
          );
        return count;
      }),
    }),
    ueventVars: (dev) => {
      const p = dev as PciDev;
      const c = p.class;
      return [
        `PCI_CLASS=${c.toString(16).toUpperCase()}`,
        `PCI_ID=${HEX(p.vendor, 4)}:${HEX(p.device, 4)}`,
        `PCI_SUBSYS_ID=${HEX(p.subsystemVendor, 4)}:${HEX(p.subsystemDevice, 4)}`,
        `PCI_SLOT_NAME=${p.name}`,
        `MODALIAS=pci:v${HEX(p.vendor, 8)}d${HEX(p.device, 8)}sv${HEX(p.subsystemVendor, 8)}sd${HEX(p.subsystemDevice, 8)}bc${HEX(c >> 16, 2)}sc${HEX((c >> 8) & 0xff, 2)}i${HEX(c & 0xff, 2)}`,
      ];
    },
    prepareAdd: (raw) => {
      const spec = raw as Record<string, unknown>;
      const address = spec.address as string;
      const packed = parseAddress(address);
      const parentAddress = spec.parent === undefined ? null : (spec.parent as string);
      if (parentAddress !== null) {
        parseAddress(parentAddress);
        if (functionAt(parentAddress) === undefined) {
          throw new SimError(
            'SIM_ERR_DEVICE_BAD_SPEC',
            `PCI device ${address}: parent ${show(parentAddress)} is not a PCI device of this machine; add the bridge first`,
          );
        }
      }
      const P = 'PCI device ';
      const vendor = checkInt(spec.vendor, 0, 0xffff, address, 'vendor', P);
      const device = checkInt(spec.device, 0, 0xffff, address, 'device', P);
      const sv = checkInt(spec.subsystemVendor ?? 0, 0, 0xffff, address, 'subsystemVendor', P);
      const sd = checkInt(spec.subsystemDevice ?? 0, 0, 0xffff, address, 'subsystemDevice', P);
      const cls = checkInt(spec.class ?? 0, 0, 0xffffff, address, 'class', P);
      const hdrType = checkInt(spec.hdrType ?? 0, 0, 0x7f, address, 'hdrType', P);
      const props = checkProps(spec.props, address);
      const hw = checkPciHw(spec, address);
      const parent = parentAddress === null ? null : (bus().devicesByName.get(parentAddress) as PciDev | undefined);
      if (parent === undefined) return () => -ENODEV;
      const root = parent === null ? rootBus(packed) : null;
      // The new pci_dev, before anything in the kernel knows of it (the add itself runs inside the operation).
      const dev = new PciDev(
        address,
        bus(),
        parent,
        root?.dir ?? '',
        parent ?? root!.container,
        props,
        packed,
        vendor,
        device,
        sv,
        sd,
        cls,
        hdrType,
        parentAddress,
      );
      setPciHw(dev, hw);
      return () => hotplug(dev, address);
    },
    removeDevice: (dev) => {
      unplug(dev as PciDev);
      return stopAndRemove(dev as PciDev);
    },
    driverUnregistered: (drv) => {
      drv.dynids_.length = 0;
    },
  };
  return pciOps;
}

/** Models store_new_id(), drivers/pci/pci-driver.c, with pci_add_dynid(). */
function* storeNewId(k: KernelImpl, drv: DriverImpl, buf: string, count: number): Sleepable<number> {
  const f = sscanfHex(buf, 7, true);
  if (f.length < 2) return -EINVAL;
  const [
    vendor,
    device,
    subvendor = BigInt(PCI_ANY_ID),
    subdevice = BigInt(PCI_ANY_ID),
    cls = 0n,
    classMask = 0n,
    data = 0n,
  ] = f;
  const id: PciDeviceId = {
    vendor: Number(vendor),
    device: Number(device),
    subvendor: Number(subvendor),
    subdevice: Number(subdevice),
    class: Number(cls),
    classMask: Number(classMask),
    driverData: Number(data),
  };
  if (f.length !== 7) {
    const fake = {
      vendor: id.vendor,
      device: id.device,
      subsystemVendor: id.subvendor!,
      subsystemDevice: id.subdevice!,
      class: id.class!,
    };
    if (pciMatchId(drv.ids, fake) !== null) return -EEXIST;
  }
  if (drv.ids !== null) {
    let ok = false;
    for (const entry of drv.ids as readonly PciDeviceId[]) {
      if (isTerminator(entry)) break;
      if ((entry.driverData ?? 0) === id.driverData) {
        ok = true;
        break;
      }
    }
    if (!ok) return -EINVAL;
  }
  drv.dynids_.push(id);
  const ret = yield* k.inFrame('pci_add_dynid', driverAttach(k, drv));
  return ret !== 0 ? ret : count;
}

/** Models store_remove_id(), drivers/pci/pci-driver.c: removes the first matching dynamic id. */
function storeRemoveId(drv: DriverImpl, buf: string, count: number): number {
  const f = sscanfHex(buf, 6).map(Number);
  if (f.length < 2) return -EINVAL;
  const [vendor, device, sv = PCI_ANY_ID, sd = PCI_ANY_ID, cls = 0, mask = 0] = f;
  const i = drv.dynids_.findIndex(
    (id) =>
      id.vendor === vendor &&
      id.device === device &&
      (sv === PCI_ANY_ID || id.subvendor === sv) &&
      (sd === PCI_ANY_ID || id.subdevice === sd) &&
      (((id.class ?? 0) ^ cls) & mask) === 0,
  );
  if (i === -1) return -ENODEV;
  drv.dynids_.splice(i, 1);
  return count;
}
