import type { BusImpl, BusOps } from '../base/bus.ts';
import { type DeviceContainer, deviceAdd, deviceDel } from '../base/core.ts';
import { deviceAttach, deviceReleaseDriver, driverAttach } from '../base/dd.ts';
import { type DeviceImpl, PCI_ANY_ID, PciDev } from '../base/device.ts';
import type { DriverImpl, PciDeviceId } from '../base/driver.ts';
import { EEXIST, EINVAL, ENODEV, EPROBE_DEFER } from '../constants/errno.ts';
import { SimError, show } from '../errors/sim-error.ts';
import { attr, type KernfsNode } from '../fs/kernfs.ts';
import type { KernelImpl } from '../kernel/kernel-impl.ts';
import { kstrtoul, sscanfHex } from '../lib/kstrtox.ts';
import { driverOverrideShow, driverOverrideStore } from '../lib/override.ts';
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

/** Parses and checks a PCI address 'dddd:bb:ss.f'. */
function parseAddress(address: unknown): { domain: number; busNr: number; slot: number; func: number } {
  // Read digit by digit: this runs once per hot-plugged device, and a million of them must stay cheap.
  const s = typeof address === 'string' && address.length === 12 ? address : '';
  const hex = (from: number, to: number): number => {
    let v = 0;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  };
  const domain = hex(0, 4);
  const busNr = hex(5, 7);
  const slot = hex(8, 10);
  const func = hex(11, 12);
  if (
    s === '' ||
    s[4] !== ':' ||
    s[7] !== ':' ||
    s[10] !== '.' ||
    domain < 0 ||
    busNr < 0 ||
    slot < 0 ||
    slot > 31 ||
    func < 0 ||
    func > 7
  ) {
    throw new SimError(
      'SIM_ERR_DEVICE_BAD_SPEC',
      `PCI address ${show(address)} is not domain:bus:slot.function in lower-case hex with slot <= 1f, such as '0000:01:00.1'`,
    );
  }
  return { domain, busNr, slot, func };
}

/** A PCI function of the machine, checked. */
interface HwSpec {
  readonly domain: number;
  readonly busNr: number;
  readonly slot: number;
  readonly func: number;
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  readonly class: number;
  readonly hdrType: number;
  readonly parent: string | null;
  readonly props: Readonly<Record<string, unknown>>;
}

interface Hardware {
  readonly address: string;
  readonly spec: HwSpec;
  /** The enumerated device, while present. */
  dev: PciDev | null;
  /** Unplugged through the API (a rescan does not find it again). */
  gone: boolean;
}

/** The PCI bus (drivers/pci): matching, probe/remove, driver_override, new_id/remove_id, remove and rescan. */
export function pciBusOps(k: KernelImpl): BusOps {
  /** The hardware in the machine, in discovery order; a removed device stays until a rescan finds it again. */
  const hardware: Hardware[] = [];
  /** Hardware by address, for the functions not enumerated now (removed through sysfs). */
  const absent = new Map<string, Hardware>();
  const hwOf = (address: string): Hardware | undefined => {
    const dev = bus().devicesByName.get(address) as PciDev | undefined;
    return (dev?.hw as Hardware | undefined) ?? absent.get(address);
  };
  const bus = (): BusImpl => k.busesByName.get('pci')!;

  /** The host bridges' directories, /sys/devices/pciDDDD:BB, by domain and bus. */
  const roots = new Map<number, { dir: string; container: DeviceContainer }>();
  function rootBus(domain: number, busNr: number): { dir: string; container: DeviceContainer } {
    const key = domain * 256 + busNr;
    let root = roots.get(key);
    if (root === undefined) {
      const name = `pci${domain.toString(16).padStart(4, '0')}:${busNr.toString(16).padStart(2, '0')}`;
      root = { dir: `/sys/devices/${name}`, container: k.container(name) };
      roots.set(key, root);
    }
    return root;
  }

  /** Models pci_device_add(), drivers/pci/probe.c: device_add() while match_driver is still false. */
  function pciDeviceAdd(hw: Hardware): number {
    const s = hw.spec;
    const parent = s.parent === null ? null : ((bus().devicesByName.get(s.parent) as PciDev | undefined) ?? null);
    if (s.parent !== null && parent === null) return -ENODEV;
    const root = parent === null ? rootBus(s.domain, s.busNr) : null;
    const dev = new PciDev(
      hw.address,
      bus(),
      parent,
      root?.dir ?? '',
      parent ?? root!.container,
      s.props,
      s.domain,
      s.busNr,
      s.slot,
      s.func,
      s.vendor,
      s.device,
      s.subsystemVendor,
      s.subsystemDevice,
      s.class,
      s.hdrType,
    );
    dev.hw = hw;
    k.enter('pci_device_add');
    const ret = deviceAdd(k, dev);
    k.leave();
    if (ret === 0) {
      hw.dev = dev;
      if (absent.size > 0 && absent.get(hw.address) === hw) absent.delete(hw.address);
    }
    return ret;
  }

  /** Models pci_bus_add_device(), drivers/pci/bus.c: match_driver on, device_attach(). */
  function pciBusAddDevice(dev: PciDev): void {
    k.enter('pci_bus_add_device');
    dev.matchDriver = true;
    const ret = deviceAttach(k, dev, false);
    if (ret < 0 && ret !== -EPROBE_DEFER) {
      k.devPrintk(4, dev, `device attach failed (${ret})`);
    } else {
      dev.isAdded = true;
    }
    k.leave();
  }

  /** Models pci_stop_and_remove_bus_device(), drivers/pci/remove.c: stop (children last first), then remove. */
  function stopAndRemove(dev: PciDev): void {
    k.enter('pci_stop_and_remove_bus_device');
    stopBusDevice(dev);
    removeBusDevice(dev);
    k.leave();
  }

  function childrenOf(dev: PciDev): PciDev[] {
    return dev.children === null ? [] : ([...dev.children.values()].filter((c) => c.kind === 'pci') as PciDev[]);
  }

  /** Models pci_stop_bus_device() and pci_stop_dev(): drivers released, deepest and last first. */
  function stopBusDevice(dev: PciDev): void {
    for (const child of childrenOf(dev).reverse()) stopBusDevice(child);
    if (dev.isAdded) {
      deviceReleaseDriver(k, dev);
      dev.isAdded = false;
    }
  }

  /** Models pci_remove_bus_device() and pci_destroy_dev(): device_del(), children first. */
  function removeBusDevice(dev: PciDev): void {
    for (const child of childrenOf(dev)) removeBusDevice(child);
    deviceDel(k, dev);
    const hw = dev.hw as Hardware | null;
    if (hw !== null) {
      hw.dev = null;
      if (!hw.gone) absent.set(hw.address, hw);
    }
  }

  /** True when the device sits on the bus behind `parent` (null: the root bus) or below it. */
  function onBusOf(hw: Hardware, parent: string | null): boolean {
    for (let at: Hardware | undefined = hw; at !== undefined; ) {
      const up = at.spec.parent;
      if (up === parent) return true;
      if (up === null) return false;
      at = hwOf(up);
    }
    return false;
  }

  /** Models pci_rescan_bus() over every bus: add what is missing, then attach what is not added. */
  function rescan(filter: (hw: Hardware) => boolean): void {
    k.enter('pci_rescan_bus');
    const live = hardware.filter((hw) => !hw.gone);
    hardware.length = 0;
    hardware.push(...live);
    for (const hw of live) if (hw.dev === null && filter(hw)) pciDeviceAdd(hw);
    for (const hw of live) if (hw.dev !== null && !hw.dev.isAdded && filter(hw)) pciBusAddDevice(hw.dev);
    k.leave();
  }

  const removeStore = (dev: DeviceImpl) => (buf: string, count: number) => {
    const val = kstrtoul(buf, 0);
    if (typeof val === 'number') return val;
    if (val !== 0n) k.withFrame('remove_store', () => stopAndRemove(dev as PciDev));
    return count;
  };

  const pciOps: BusOps = {
    name: 'pci',
    custom: false,
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
      if (rc === 0) return 0;
      if (rc < 0) {
        pdev.pciDriver = null;
        return rc;
      }
      k.devPrintk(4, pdev, `Driver probe function unexpectedly returned ${rc}`);
      return 0;
    },
    /** Models pci_device_remove(), drivers/pci/pci-driver.c. */
    remove: (dev) => {
      const pdev = dev as PciDev;
      const drv = pdev.pciDriver;
      if (drv === null) return;
      if (drv.removeFn !== null) k.runDriverRemove(drv, pdev);
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
        driver_override: attr(
          0o644,
          () => driverOverrideShow(p),
          (buf, count) => driverOverrideStore(p, buf, count),
        ),
        remove: attr(0o220, undefined, removeStore(p)),
        rescan: attr(0o220, undefined, (buf, count) => {
          const val = kstrtoul(buf, 0);
          if (typeof val === 'number') return val;
          if (val !== 0n) {
            const parent = (p.hw as Hardware | null)?.spec.parent ?? null;
            k.withFrame('dev_rescan_store', () => rescan((hw) => onBusOf(hw, parent)));
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
      rescan: attr(0o220, undefined, (buf, count) => {
        const val = kstrtoul(buf, 0);
        if (typeof val === 'number') return val;
        if (val !== 0n) k.withFrame('bus_rescan_store', () => rescan(() => true));
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
      const a = parseAddress(address);
      const where = address;
      const parent = spec.parent === undefined ? null : (spec.parent as string);
      if (parent !== null) {
        parseAddress(parent);
        if (hwOf(parent) === undefined) {
          throw new SimError(
            'SIM_ERR_DEVICE_BAD_SPEC',
            `PCI device ${where}: parent ${show(parent)} is not a PCI device of this machine; add the bridge first`,
          );
        }
      }
      const checked: HwSpec = {
        domain: a.domain,
        busNr: a.busNr,
        slot: a.slot,
        func: a.func,
        vendor: checkInt(spec.vendor, 0, 0xffff, where, 'vendor', 'PCI device '),
        device: checkInt(spec.device, 0, 0xffff, where, 'device', 'PCI device '),
        subsystemVendor: checkInt(spec.subsystemVendor ?? 0, 0, 0xffff, where, 'subsystemVendor', 'PCI device '),
        subsystemDevice: checkInt(spec.subsystemDevice ?? 0, 0, 0xffff, where, 'subsystemDevice', 'PCI device '),
        class: checkInt(spec.class ?? 0, 0, 0xffffff, where, 'class', 'PCI device '),
        hdrType: checkInt(spec.hdrType ?? 0, 0, 0x7f, where, 'hdrType', 'PCI device '),
        parent,
        props: checkProps(spec.props, `PCI device ${where}`),
      };
      return () => {
        // A taken slot: device_add() of the same name fails with -EEXIST (and its warning), nothing changes.
        const hw: Hardware = { address, spec: checked, dev: null, gone: false };
        const ret = pciDeviceAdd(hw);
        if (ret !== 0) return ret;
        hardware.push(hw);
        if (absent.size > 0) {
          const old = absent.get(address);
          if (old !== undefined && old !== hw) {
            old.gone = true;
            absent.delete(address);
          }
        }
        pciBusAddDevice(hw.dev!);
        return 0;
      };
    },
    removeDevice: (dev) => {
      const unplug = (d: PciDev): void => {
        const hw = d.hw as Hardware | null;
        if (hw !== null) hw.gone = true;
        for (const child of childrenOf(d)) unplug(child);
      };
      unplug(dev as PciDev);
      stopAndRemove(dev as PciDev);
      return 0;
    },
    driverUnregistered: (drv) => {
      drv.dynids_.length = 0;
    },
  };
  return pciOps;
}

/** Models store_new_id(), drivers/pci/pci-driver.c, with pci_add_dynid(). */
function storeNewId(k: KernelImpl, drv: DriverImpl, buf: string, count: number): number {
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
  const ret = k.withFrame('pci_add_dynid', () => driverAttach(k, drv));
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
