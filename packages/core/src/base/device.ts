import type { StaticDir } from '../fs/kernfs.ts';
import type { Bus, BusImpl } from './bus.ts';
import type { Driver, DriverImpl } from './driver.ts';

/** Which kind of device this is (the kernel tells them apart by bus and `dev->type`). */
export type DeviceKind = 'platform' | 'pci' | 'i2c-client' | 'i2c-adapter' | 'generic';

/** A device-tree node, as far as matching and keystone's notifier care: its compatible strings. */
export interface OfNode {
  readonly compatible: readonly string[];
}

/** What core knows of an IOMMU group (struct iommu_group lives in @sim/iommu-group). */
export interface IommuGroupRef {
  readonly id: number;
  /**
   * Models iommu_device_use_default_domain(), drivers/iommu/iommu.c (v5.19 on), for a device of this group: what a
   * bus's dma_configure() asks before binding a driver that uses the DMA API. 0 (one more kernel user of the
   * default domain), -EBUSY (userspace owns the group, or it is not on its default domain), -EPROBE_DEFER (no
   * default domain yet). Absent: 0.
   */
  useDefaultDomain?(dev: Device): number;
  /** Models iommu_device_unuse_default_domain(): what dma_cleanup() gives back. */
  unuseDefaultDomain?(dev: Device): void;
}

/**
 * Models iommu_device_use_default_domain(), drivers/iommu/iommu.c: 0 for a device in no group (or a group whose
 * layer has no DMA ownership), else the group's answer.
 */
export function iommuDeviceUseDefaultDomain(dev: Device): number {
  const group = dev.iommuGroup;
  return group === null || group.useDefaultDomain === undefined ? 0 : group.useDefaultDomain(dev);
}

/** Models iommu_device_unuse_default_domain(), drivers/iommu/iommu.c. */
export function iommuDeviceUnuseDefaultDomain(dev: Device): void {
  dev.iommuGroup?.unuseDefaultDomain?.(dev);
}

/** Models struct device, include/linux/device.h: the fields the driver core and the notifiers use. */
export interface Device {
  /** dev_name(dev): e.g. `0000:01:00.0`, `serial8250`, `i2c-0`, `0-0050`. */
  readonly name: string;
  readonly kind: DeviceKind;
  readonly bus: Bus;
  readonly parent: Device | null;
  /** dev->driver: set from the start of really_probe() until the driver is released or the probe failed. */
  readonly driver: Driver | null;
  /** The device's directory, e.g. /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0. */
  readonly path: string;
  /** dev->of_node: set for devices created from the device tree. */
  readonly ofNode: OfNode | null;
  /** driver_override (platform and PCI devices), or null. */
  readonly driverOverride: string | null;
  /** Firmware and topology properties that plugins read (e.g. a TCE table for powerpc). */
  readonly props: Readonly<Record<string, unknown>>;
  /** dev->dma_pfn_offset. */
  dmaPfnOffset: number;
  /** dev->iommu_group. */
  iommuGroup: IommuGroupRef | null;
  /** device_is_registered(): in sysfs (between device_add() and device_del()). */
  readonly isRegistered: boolean;
  /** device_is_bound(): on its driver's list (a finished, successful probe). */
  readonly isBound: boolean;
}

/** PCI header types of include/uapi/linux/pci_regs.h. */
export const PCI_HEADER_TYPE_NORMAL = 0;
export const PCI_HEADER_TYPE_BRIDGE = 1;
export const PCI_HEADER_TYPE_CARDBUS = 2;
/** PCI_ANY_ID of include/linux/mod_devicetable.h. */
export const PCI_ANY_ID = 0xffffffff;

/** Models struct pci_dev, include/linux/pci.h. */
export interface PciDevice extends Device {
  readonly kind: 'pci';
  readonly domain: number;
  readonly busNr: number;
  readonly slot: number;
  readonly func: number;
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
  /** 24-bit class code (class << 16 | subclass << 8 | prog-if). */
  readonly class: number;
  readonly hdrType: number;
  /** pci_dev->match_driver: false between pci_device_add() and pci_bus_add_device(). */
  readonly matchDriver: boolean;
}

/** Models struct platform_device, include/linux/platform_device.h. */
export interface PlatformDevice extends Device {
  readonly kind: 'platform';
  /** pdev->name, matched against driver names and id tables. */
  readonly pdevName: string;
  /** pdev->id: -1 for none. */
  readonly id: number;
}

/** Models struct i2c_client, include/linux/i2c.h. */
export interface I2cClient extends Device {
  readonly kind: 'i2c-client';
  /** client->name, matched against i2c id tables. */
  readonly clientName: string;
  readonly addr: number;
  readonly adapter: I2cAdapter;
}

/** Models struct i2c_adapter, include/linux/i2c.h. */
export interface I2cAdapter extends Device {
  readonly kind: 'i2c-adapter';
  /** adap->nr: the adapter number (i2c-N). */
  readonly nr: number;
  readonly adapterName: string;
}

/** True for a PCI device. */
export function isPciDevice(dev: Device | null | undefined): dev is PciDevice {
  return dev?.kind === 'pci';
}
/** True for a platform device. */
export function isPlatformDevice(dev: Device | null | undefined): dev is PlatformDevice {
  return dev?.kind === 'platform';
}
/** Models i2c_verify_client(), drivers/i2c/i2c-core.c: true for an i2c client. */
export function isI2cClient(dev: Device | null | undefined): dev is I2cClient {
  return dev?.kind === 'i2c-client';
}
/** Models i2c_verify_adapter(), drivers/i2c/i2c-core.c: true for an i2c adapter. */
export function isI2cAdapter(dev: Device | null | undefined): dev is I2cAdapter {
  return dev?.kind === 'i2c-adapter';
}

/** A place that holds child devices in sysfs: a device, or a container such as /sys/devices/platform. */
export interface DeviceParentDir {
  /** The registered child device of that name (the kobject in this directory). */
  child(name: string): DeviceImpl | undefined;
  childNames(): string[];
  addChild(dev: DeviceImpl): void;
  removeChild(dev: DeviceImpl): void;
}

const F_REGISTERED = 1;
const F_BOUND = 2;
const F_LINKED = 4;
const F_LOCKED = 8;
const F_PENDING = 16;
const F_ACTIVE = 32;
const F_DEFERRED = F_PENDING | F_ACTIVE;
const F_MATCH_DRIVER = 64;
const F_IS_ADDED = 128;
const F_UNPLUGGED = 256;

/** The driver core's private state of a device (struct device_private and friends). */
export class DeviceImpl implements Device, DeviceParentDir {
  driver: DriverImpl | null = null;
  dmaPfnOffset = 0;
  iommuGroup: IommuGroupRef | null = null;
  driverOverride: string | null = null;
  /** The boolean state below, packed in one small integer (a million devices are a lot of fields). */
  protected flags = 0;
  /** Links of the driver's klist_devices (see DriverDevices). */
  klistPrev: DeviceImpl | null = null;
  klistNext: DeviceImpl | null = null;
  /** Child devices by name (klist_children, and the sysfs subdirectories). */
  children: Map<string, DeviceImpl> | null = null;
  /** Entries kernel code added under the device's directory (sysfs_create_link and friends). */
  extra: StaticDir | null = null;
  /** Where the device sits in sysfs: its parent device, or a container directory. */
  container: DeviceParentDir;

  child(name: string): DeviceImpl | undefined {
    return this.children?.get(name);
  }

  childNames(): string[] {
    return this.children === null ? [] : [...this.children.keys()];
  }

  addChild(dev: DeviceImpl): void {
    this.children ??= new Map();
    this.children.set(dev.name, dev);
  }

  removeChild(dev: DeviceImpl): void {
    this.children?.delete(dev.name);
  }

  /**
   * @param dir the directory that holds the device when it has no parent (e.g. /sys/devices/platform); with a
   * parent, the device sits in the parent's directory.
   */
  constructor(
    readonly kind: Device['kind'],
    readonly name: string,
    readonly bus: BusImpl,
    readonly parent: DeviceImpl | null,
    private readonly dir: string,
    container: DeviceParentDir,
    readonly ofNode: OfNode | null,
    readonly props: Readonly<Record<string, unknown>>,
  ) {
    this.container = container;
  }

  /** In sysfs (device_add() done, device_del() not yet). */
  get isRegistered(): boolean {
    return (this.flags & F_REGISTERED) !== 0;
  }
  set isRegistered(on: boolean) {
    this.flags = on ? this.flags | F_REGISTERED : this.flags & ~F_REGISTERED;
  }
  /** On the driver's klist_devices. */
  get isBound(): boolean {
    return (this.flags & F_BOUND) !== 0;
  }
  set isBound(on: boolean) {
    this.flags = on ? this.flags | F_BOUND : this.flags & ~F_BOUND;
  }
  /** The two links of driver_sysfs_add() exist. */
  get linked(): boolean {
    return (this.flags & F_LINKED) !== 0;
  }
  set linked(on: boolean) {
    this.flags = on ? this.flags | F_LINKED : this.flags & ~F_LINKED;
  }
  /** device_lock() held by the running task. */
  get locked(): boolean {
    return (this.flags & F_LOCKED) !== 0;
  }
  set locked(on: boolean) {
    this.flags = on ? this.flags | F_LOCKED : this.flags & ~F_LOCKED;
  }
  /** Place on the deferred-probe lists. */
  get deferred(): 'pending' | 'active' | null {
    const d = this.flags & F_DEFERRED;
    return d === 0 ? null : d === F_PENDING ? 'pending' : 'active';
  }
  set deferred(state: 'pending' | 'active' | null) {
    this.flags = (this.flags & ~F_DEFERRED) | (state === null ? 0 : state === 'pending' ? F_PENDING : F_ACTIVE);
  }

  /** Computed, not stored: a million devices need no path strings. */
  get path(): string {
    return `${this.parent === null ? this.dir : this.parent.path}/${this.name}`;
  }
}

export class PciDev extends DeviceImpl implements PciDevice {
  declare readonly kind: 'pci';
  /** pci_dev->driver: set while a PCI driver's probe has accepted the device. */
  pciDriver: DriverImpl | null = null;
  readonly class: number;

  /** pci_dev->match_driver: false between pci_device_add() and pci_bus_add_device(). */
  get matchDriver(): boolean {
    return (this.flags & F_MATCH_DRIVER) !== 0;
  }
  set matchDriver(on: boolean) {
    this.flags = on ? this.flags | F_MATCH_DRIVER : this.flags & ~F_MATCH_DRIVER;
  }
  /** pci_dev->is_added: pci_bus_add_device() ran. */
  get isAdded(): boolean {
    return (this.flags & F_IS_ADDED) !== 0;
  }
  set isAdded(on: boolean) {
    this.flags = on ? this.flags | F_IS_ADDED : this.flags & ~F_IS_ADDED;
  }
  /** Unplugged from the machine through the API: a rescan does not find it again. */
  get unplugged(): boolean {
    return (this.flags & F_UNPLUGGED) !== 0;
  }
  set unplugged(on: boolean) {
    this.flags = on ? this.flags | F_UNPLUGGED : this.flags & ~F_UNPLUGGED;
  }

  constructor(
    name: string,
    bus: BusImpl,
    parent: DeviceImpl | null,
    dir: string,
    container: DeviceParentDir,
    props: Readonly<Record<string, unknown>>,
    /** The address packed as domain << 16 | bus << 8 | devfn. */
    readonly packed: number,
    readonly vendor: number,
    readonly device: number,
    readonly subsystemVendor: number,
    readonly subsystemDevice: number,
    cls: number,
    readonly hdrType: number,
    /** Address of the bridge it sits behind, null on a root bus (kept for a rescan after removal). */
    readonly parentAddress: string | null,
  ) {
    super('pci', name, bus, parent, dir, container, null, props);
    this.class = cls;
  }

  get domain(): number {
    return Math.floor(this.packed / 65536);
  }
  get busNr(): number {
    return Math.floor(this.packed / 256) % 256;
  }
  get slot(): number {
    return (this.packed >> 3) & 31;
  }
  get func(): number {
    return this.packed & 7;
  }
}

export class PlatformDev extends DeviceImpl implements PlatformDevice {
  declare readonly kind: 'platform';
  constructor(
    name: string,
    bus: BusImpl,
    parent: DeviceImpl | null,
    dir: string,
    container: DeviceParentDir,
    ofNode: OfNode | null,
    props: Readonly<Record<string, unknown>>,
    readonly pdevName: string,
    readonly id: number,
  ) {
    super('platform', name, bus, parent, dir, container, ofNode, props);
  }
}

export class I2cAdapterDev extends DeviceImpl implements I2cAdapter {
  declare readonly kind: 'i2c-adapter';
  constructor(
    name: string,
    bus: BusImpl,
    parent: DeviceImpl | null,
    dir: string,
    container: DeviceParentDir,
    props: Readonly<Record<string, unknown>>,
    readonly nr: number,
    readonly adapterName: string,
  ) {
    super('i2c-adapter', name, bus, parent, dir, container, null, props);
  }
}

export class I2cClientDev extends DeviceImpl implements I2cClient {
  declare readonly kind: 'i2c-client';
  constructor(
    name: string,
    bus: BusImpl,
    ofNode: OfNode | null,
    props: Readonly<Record<string, unknown>>,
    readonly clientName: string,
    readonly addr: number,
    readonly adapter: I2cAdapterDev,
  ) {
    super('i2c-client', name, bus, adapter, '', adapter, ofNode, props);
  }
}
