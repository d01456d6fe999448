import {
  type Device,
  type Driver,
  EBADF,
  EBUSY,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOTTY,
  EPERM,
  type FileOperations,
  isPciDevice,
  KERN_INFO,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_OK,
  type OpenFile,
  PCI_HEADER_TYPE_NORMAL,
  type Registration,
  SimError,
  type Sleepable,
} from '@sim/core';
import {
  IOMMU_GROUP_NOTIFY_ADD_DEVICE,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_DEL_DEVICE,
  IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
  type IommuGroup,
  iommuGroupForEachDev,
  iommuGroupGet,
  iommuGroupPut,
  iommuGroupRegisterNotifier,
} from '@sim/iommu-group';
import {
  VFIO_API_VERSION,
  VFIO_BUG_WHERE,
  VFIO_CHECK_EXTENSION,
  VFIO_DRIVER_WHITELIST,
  VFIO_GET_API_VERSION,
  VFIO_GROUP_FLAGS_CONTAINER_SET,
  VFIO_GROUP_FLAGS_VIABLE,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_STATUS_SIZE,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1_NESTING_IOMMU,
  VFIO_TYPE1v2_IOMMU,
} from './constants.ts';
import { vfioIoctlSetIommuModern, vfioRegisterGroupDev, vfioUnregisterGroupDev } from './group.ts';

/** The version line vfio_init() prints (DRIVER_DESC " version: " DRIVER_VERSION). */
export const VFIO_VERSION_LINE = 'VFIO - User Level meta-driver version: 0.3';
/** The container node (a misc device, mode 0666). */
export const VFIO_CONTAINER_PATH = '/dev/vfio/vfio';
/** MINORMASK: vfio group minors come from idr_alloc(0, MINORMASK + 1). */
const MINORMASK = (1 << 20) - 1;

/** What a vfio bus driver hands vfio_add_group_dev() (struct vfio_device_ops, the parts sim models). */
export interface VfioDeviceOps {
  /** ops->name, e.g. 'vfio-pci'. */
  readonly name: string;
  /** ops->open, when userspace gets a device fd: 0 or a negative errno. */
  open?(device: VfioDevice): number;
  /** ops->release, when the device fd is closed. */
  release?(device: VfioDevice): void;
  /** ops->request: vfio_del_group_dev() asks the driver to get the device back from userspace (count from 0). */
  request?(device: VfioDevice, count: number): void;
  /** ops->ioctl, the device fd's ioctls (e.g. vfio-pci's VFIO_DEVICE_SET_IRQS); without it they answer -ENOTTY. */
  ioctl?(device: VfioDevice, cmd: string, arg: unknown): number;
}

/** Models struct vfio_device, drivers/vfio/vfio.c. */
export interface VfioDevice {
  readonly dev: Device;
  readonly group: VfioGroup;
  readonly ops: VfioDeviceOps;
  /** References: the bus driver's one, plus one per open device fd. */
  readonly refcount: number;
}

/** Models struct vfio_group, drivers/vfio/vfio.c. */
export interface VfioGroup {
  readonly iommuGroup: IommuGroup;
  /** /dev/vfio/<iommu group id>. */
  readonly node: string;
  /** The group's minor (idr, lowest free); userspace never sees it. */
  readonly minor: number;
  /** container_users: 1 after VFIO_GROUP_SET_CONTAINER, plus one per open device fd. The group is "live" above 0. */
  readonly containerUsers: number;
  /** Whether /dev/vfio/N is open (only one open at a time). */
  readonly opened: boolean;
  /** The container it is attached to, or null. */
  readonly container: VfioContainer | null;
  /** References (kref). */
  readonly refcount: number;
  readonly released: boolean;
  /** Devices a vfio bus driver registered (device_list), most recent first. */
  devices(): Device[];
  /** unbound_list: devices between vfio_del_group_dev() and UNBOUND_DRIVER, most recent first. */
  unbound(): Device[];
  /** The group as a DMA owner names itself (6.12): its node. */
  readonly name: string;
  /**
   * 6.12: its last vfio device was unregistered while userspace still held /dev/vfio/N open: the node is gone,
   * ownership released, group->iommu_group is NULL, and the stale fd gets -ENODEV. Always false on v4.12.
   */
  readonly orphaned: boolean;
}

/** Models struct vfio_container, drivers/vfio/vfio.c. */
export interface VfioContainer {
  /** The groups attached to it. */
  groups(): VfioGroup[];
  /** The IOMMU backend set by VFIO_SET_IOMMU ('vfio_iommu_type1'), or null. */
  readonly iommuDriver: string | null;
  readonly refcount: number;
}

/**
 * The layout of the objects this package keeps on a kernel. Every copy of the package loaded in one process finds a
 * kernel's state and recognises the devices, groups and containers of another copy through registry-wide symbols; a
 * copy with another layout is refused by name.
 */
export const VFIO_STATE_LAYOUT = 1;
const STATE_KEY = Symbol.for('@sim/vfio/state');
const DEVICE_BRAND = Symbol.for('@sim/vfio/device');
const GROUP_BRAND = Symbol.for('@sim/vfio/group');
const CONTAINER_BRAND = Symbol.for('@sim/vfio/container');

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === VFIO_STATE_LAYOUT;
}

/** @internal shared with group.ts. */
export class VfioDeviceImpl implements VfioDevice {
  /** `instanceof VfioDeviceImpl` is a brand check, true for the objects of every copy of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, DEVICE_BRAND);
  }

  readonly [DEVICE_BRAND] = VFIO_STATE_LAYOUT;
  kref = 1;
  constructor(
    readonly dev: Device,
    readonly group: VfioGroupImpl,
    readonly ops: VfioDeviceOps,
  ) {}
  get refcount(): number {
    return this.kref;
  }
}

/** @internal shared with group.ts. */
export class VfioGroupImpl implements VfioGroup {
  /** `instanceof VfioGroupImpl` is a brand check, true for the objects of every copy of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, GROUP_BRAND);
  }

  readonly [GROUP_BRAND] = VFIO_STATE_LAYOUT;
  kref = 1;
  containerUsers = 0;
  opened = false;
  container: ContainerImpl | null = null;
  released = false;
  /** 6.12: group->drivers, the registered vfio devices (the last one's unregister removes the group). */
  drivers = 0;
  /** 6.12: references on the open group file (the fd, plus one per device fd: vfio_group_use_container()). */
  fileRefs = 0;
  /** 6.12: the group fd was closed while device fds still hold its file; the release waits for them. */
  releasePending = false;
  orphaned = false;
  /** A group of 6.12's vfio (group.ts). */
  modern = false;
  /** device_list; list_add() puts new devices first. */
  readonly deviceList: VfioDeviceImpl[] = [];
  /** unbound_list; list_add() puts new entries first. */
  readonly unboundList: Device[] = [];
  registration: Registration | null = null;
  readonly node: string;
  constructor(
    readonly iommuGroup: IommuGroup,
    readonly minor: number,
  ) {
    this.node = `/dev/vfio/${iommuGroup.id}`;
  }
  get refcount(): number {
    return this.kref;
  }
  devices(): Device[] {
    return this.deviceList.map((d) => d.dev);
  }
  unbound(): Device[] {
    return [...this.unboundList];
  }
  get name(): string {
    return this.node;
  }
}

/** An IOMMU backend (struct vfio_iommu_driver); sim has vfio_iommu_type1. */
interface IommuBackend {
  readonly name: string;
  checkExtension(arg: number): number;
}

/** The parts of drivers/vfio/vfio_iommu_type1.c that vfio.c calls: the extensions it supports. */
export const TYPE1: IommuBackend = {
  name: 'vfio_iommu_type1',
  checkExtension: (arg) =>
    arg === VFIO_TYPE1_IOMMU || arg === VFIO_TYPE1v2_IOMMU || arg === VFIO_TYPE1_NESTING_IOMMU ? 1 : 0,
};

/** @internal shared with group.ts. */
export class ContainerImpl implements VfioContainer {
  /** `instanceof ContainerImpl` is a brand check, true for the objects of every copy of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, CONTAINER_BRAND);
  }

  readonly [CONTAINER_BRAND] = VFIO_STATE_LAYOUT;
  kref = 1;
  readonly groupList: VfioGroupImpl[] = [];
  backend: IommuBackend | null = null;
  groups(): VfioGroup[] {
    return [...this.groupList];
  }
  get iommuDriver(): string | null {
    return this.backend?.name ?? null;
  }
  get refcount(): number {
    return this.kref;
  }
}

/** A vfio_del_group_dev() (6.12: vfio_unregister_group_dev()) whose wait a hung-task report ended: where it was. */
export interface BlockedDel {
  readonly group: VfioGroupImpl;
  count: number;
  /** 6.12: the device, off the group's list already, waiting for its last fd. */
  readonly device?: VfioDeviceImpl;
}

/** Everything @sim/vfio keeps for one kernel (the `vfio` global of vfio.c). */
export interface VfioState {
  readonly kernel: Kernel;
  /** The `vetoBind` flag, read once at setup. */
  readonly vetoBind: boolean;
  /** 6.12's vfio (DMA ownership, group.c/container.c/vfio_main.c) rather than v4.12's vfio.c. */
  readonly modern: boolean;
  /** vfio.group_list; list_add() puts new groups first. */
  readonly groups: VfioGroupImpl[];
  /** vfio.group_idr. */
  readonly minors: Set<number>;
  /** dev_get_drvdata() of devices a vfio bus driver registered. */
  readonly drvdata: Map<Device, VfioDeviceImpl>;
  /** vfio's own bus drivers, recognised by identity (see docs/decisions/2026-11-26-vfio-bus-drivers-at-bind.md). */
  readonly busDrivers: Set<Driver>;
  readonly blockedDel: Map<Device, BlockedDel>;
  /** The containers opened and not yet released. */
  readonly containers: Set<ContainerImpl>;
  /** WARN_ON_ONCE sites that fired. */
  readonly warnedOnce: Set<string>;
}

/** What a kernel carries under STATE_KEY. */
interface StateSlot {
  readonly layout: number;
  readonly state: VfioState;
}

function slot(kernel: unknown): StateSlot | undefined {
  if ((typeof kernel !== 'object' && typeof kernel !== 'function') || kernel === null) return undefined;
  return (kernel as { [STATE_KEY]?: StateSlot })[STATE_KEY];
}

/** Creates the state at setup. */
export function createVfioState(kernel: Kernel, vetoBind: boolean): VfioState {
  const st: VfioState = {
    kernel,
    vetoBind,
    modern: kernel.version.dmaOwnership,
    groups: [],
    minors: new Set(),
    drvdata: new Map(),
    busDrivers: new Set(),
    blockedDel: new Map(),
    containers: new Set(),
    warnedOnce: new Set(),
  };
  Object.defineProperty(kernel, STATE_KEY, {
    value: { layout: VFIO_STATE_LAYOUT, state: st } satisfies StateSlot,
    configurable: true,
    enumerable: false,
    writable: false,
  });
  return st;
}

/** Forgets the state (teardown). */
export function dropVfioState(kernel: Kernel): void {
  delete (kernel as { [STATE_KEY]?: StateSlot })[STATE_KEY];
}

/** The state of a kernel that uses the plugin; a SimError naming the fix otherwise. */
export function vfioState(kernel: Kernel, who: string): VfioState {
  const s = slot(kernel);
  if (s !== undefined && s.layout !== VFIO_STATE_LAYOUT) {
    throw new SimError(
      'SIM_ERR_VFIO_NOT_IN_USE',
      `${who}: this kernel uses another version of @sim/vfio (state layout ${s.layout}; this copy reads layout ${VFIO_STATE_LAYOUT}); install one version of @sim/vfio`,
    );
  }
  const st = s?.state;
  if (st === undefined) {
    throw new SimError(
      'SIM_ERR_VFIO_NOT_IN_USE',
      `${who}: this kernel does not use @sim/vfio; pass iommuGroupPlugin() and vfioPlugin() to createKernel({ plugins }) first`,
    );
  }
  return st;
}

// ---------------------------------------------------------------------------------------------------------------
// References

function groupGet(g: VfioGroupImpl): void {
  g.kref++;
}

/** Models vfio_group_put(): the last reference releases the group. */
function groupPut(st: VfioState, g: VfioGroupImpl): void {
  g.kref--;
  if (g.kref === 0) vfioGroupRelease(st, g);
}

function deviceGet(d: VfioDeviceImpl): void {
  groupGet(d.group);
  d.kref++;
}

/** Models vfio_device_put(): a device reference always holds a group reference. */
function devicePut(st: VfioState, d: VfioDeviceImpl): void {
  const group = d.group;
  d.kref--;
  if (d.kref === 0) vfioDeviceRelease(st, d);
  groupPut(st, group);
}

/** Models vfio_device_release(): off device_list, drvdata cleared (vfio_del_group_dev() may be waiting). */
function vfioDeviceRelease(st: VfioState, d: VfioDeviceImpl): void {
  const g = d.group;
  const i = g.deviceList.indexOf(d);
  if (i !== -1) g.deviceList.splice(i, 1);
  if (st.drvdata.get(d.dev) === d) st.drvdata.delete(d.dev);
}

/** Models vfio_group_get_device() without the reference: the group's vfio_device for dev, or undefined. */
export function findDevice(g: VfioGroupImpl, dev: Device): VfioDeviceImpl | undefined {
  return g.deviceList.find((d) => d.dev === dev);
}

/** Models vfio_group_get_from_iommu() without the reference. */
export function groupOfIommu(st: VfioState, iommuGroup: IommuGroup): VfioGroupImpl | undefined {
  return st.groups.find((g) => g.iommuGroup === iommuGroup);
}

// ---------------------------------------------------------------------------------------------------------------
// Groups

/**
 * Models vfio_create_group(), drivers/vfio/vfio.c: registers vfio_iommu_group_notifier on the IOMMU group's chain
 * (before taking group_lock, as v4.12 does), takes the lowest free minor, creates /dev/vfio/<iommu group id>. The
 * new group keeps the caller's IOMMU group reference. A negative errno on failure.
 */
function vfioCreateGroup(st: VfioState, iommuGroup: IommuGroup): VfioGroupImpl | number {
  const k = st.kernel;
  let minor = 0;
  while (st.minors.has(minor)) minor++;
  const g = new VfioGroupImpl(iommuGroup, minor);
  const reg = iommuGroupRegisterNotifier(iommuGroup, {
    name: 'vfio_iommu_group_notifier',
    notifierCall: (action, dev) => vfioIommuGroupNotifier(st, g, action, dev),
  });
  if (reg.ret !== 0) return reg.ret;
  if (minor > MINORMASK) {
    reg.unregister();
    return -28; // -ENOSPC from idr_alloc()
  }
  const ret = k.dev.register(g.node.slice('/dev/'.length), groupFops(st, g));
  if (ret !== 0) {
    reg.unregister();
    return ret;
  }
  g.registration = reg;
  st.minors.add(minor);
  st.groups.unshift(g);
  return g;
}

/**
 * Models vfio_group_release(), drivers/vfio/vfio.c: the unbound list freed, /dev/vfio/N destroyed, the minor
 * freed, the notifier unregistered and the IOMMU group reference dropped.
 */
function vfioGroupRelease(st: VfioState, g: VfioGroupImpl): void {
  const k = st.kernel;
  if (g.deviceList.length > 0) k.warn('drivers/vfio/vfio.c:405', 'WARN_ON(!list_empty(&group->device_list))');
  g.unboundList.length = 0;
  k.dev.unregister(g.node.slice('/dev/'.length));
  const i = st.groups.indexOf(g);
  if (i !== -1) st.groups.splice(i, 1);
  st.minors.delete(g.minor);
  g.registration?.unregister();
  g.registration = null;
  g.released = true;
  iommuGroupPut(g.iommuGroup);
}

// ---------------------------------------------------------------------------------------------------------------
// Viability

/** Models vfio_dev_whitelisted(), drivers/vfio/vfio.c: a PCI device that is not a normal header, or pci-stub. */
export function vfioDevWhitelisted(dev: Device, drv: Driver): boolean {
  if (isPciDevice(dev) && dev.hdrType !== PCI_HEADER_TYPE_NORMAL) return true;
  return VFIO_DRIVER_WHITELIST.includes(drv.name);
}

/**
 * Models vfio_dev_viable(), drivers/vfio/vfio.c: 0 when the device is on the unbound list, has no driver, is
 * whitelisted, or is a vfio_device of the group; -EINVAL otherwise.
 */
function vfioDevViable(g: VfioGroupImpl, dev: Device): number {
  if (g.unboundList.includes(dev)) return 0;
  const drv = dev.driver;
  if (drv === null || vfioDevWhitelisted(dev, drv)) return 0;
  if (findDevice(g, dev) !== undefined) return 0;
  return -EINVAL;
}

/** Models vfio_group_viable(), drivers/vfio/vfio.c: every device of the IOMMU group viable (stops at the first not). */
function vfioGroupViable(g: VfioGroupImpl): boolean {
  return iommuGroupForEachDev(g.iommuGroup, (dev) => vfioDevViable(g, dev)) === 0;
}

/** Models vfio_group_nb_verify(), drivers/vfio/vfio.c: 0 for an idle group, else vfio_dev_viable(). */
function vfioGroupNbVerify(g: VfioGroupImpl, dev: Device): number {
  if (g.containerUsers === 0) return 0;
  return vfioDevViable(g, dev);
}

/** True for a driver registered as one of vfio's own bus drivers (vfio-pci, vfio-platform). */
function isVfioBusDriver(st: VfioState, drv: Driver | null): boolean {
  return drv !== null && st.busDrivers.has(drv);
}

// ---------------------------------------------------------------------------------------------------------------
// The IOMMU group notifier

/**
 * Models vfio_group_nb_add_dev(), drivers/vfio/vfio.c: a device vfio already knows is a WARN_ON_ONCE; a device
 * added to a live group is only a warning ("TODO Prevent device auto probing").
 */
function vfioGroupNbAddDev(st: VfioState, g: VfioGroupImpl, dev: Device): void {
  const k = st.kernel;
  if (findDevice(g, dev) !== undefined) {
    if (!st.warnedOnce.has('vfio.c:671')) {
      st.warnedOnce.add('vfio.c:671');
      k.warn('drivers/vfio/vfio.c:671', `WARN_ON_ONCE(device): ${dev.name} is a vfio device already`);
    }
    return;
  }
  if (g.containerUsers === 0) return;
  k.warn('drivers/vfio/vfio.c:681', `Device ${dev.name} added to live group ${g.iommuGroup.id}!`);
}

/**
 * Models vfio_iommu_group_notifier(), drivers/vfio/vfio.c (v4.12): ADD_DEVICE warns for a live group; BIND_DRIVER,
 * UNBIND_DRIVER and UNBOUND_DRIVER print their pr_debug line (UNBOUND also takes the device off the unbound list);
 * BOUND_DRIVER prints its line and hits BUG_ON (vfio.c:733) when the group is live and the device is not viable.
 * Always NOTIFY_OK, except under `vetoBind`: BIND_DRIVER of a driver that is not one of vfio's own, into a live
 * group, that would leave the device not viable, is answered NOTIFY_BAD.
 */
function vfioIommuGroupNotifier(st: VfioState, g: VfioGroupImpl, action: number, dev: Device): number {
  const k = st.kernel;
  return k.withFrame('vfio_iommu_group_notifier', () => {
    // vfio_group_try_get(): a group no longer on vfio.group_list ignores the notification.
    if (!st.groups.includes(g)) return NOTIFY_OK;
    groupGet(g);
    const id = g.iommuGroup.id;
    let ret = NOTIFY_OK;
    switch (action) {
      case IOMMU_GROUP_NOTIFY_ADD_DEVICE:
        vfioGroupNbAddDev(st, g, dev);
        break;
      case IOMMU_GROUP_NOTIFY_DEL_DEVICE:
        break;
      case IOMMU_GROUP_NOTIFY_BIND_DRIVER:
        if (k.dynamicDebug) k.prDebug(`vfio_iommu_group_notifier: Device ${dev.name}, group ${id} binding to driver`);
        // The seed's plan: refuse before the bind instead of BUG_ON after it. dev->driver is already set here
        // (really_probe() sets it before driver_sysfs_add()), so the check sees what BOUND_DRIVER would see;
        // vfio's own bus drivers register the device only in their probe, so they pass by identity.
        if (st.vetoBind && !isVfioBusDriver(st, dev.driver) && vfioGroupNbVerify(g, dev) !== 0) ret = NOTIFY_BAD;
        break;
      case IOMMU_GROUP_NOTIFY_BOUND_DRIVER:
        if (k.dynamicDebug) {
          k.prDebug(
            `vfio_iommu_group_notifier: Device ${dev.name}, group ${id} bound to driver ${dev.driver?.name ?? '(null)'}`,
          );
        }
        if (vfioGroupNbVerify(g, dev) !== 0) k.bug(VFIO_BUG_WHERE);
        break;
      case IOMMU_GROUP_NOTIFY_UNBIND_DRIVER:
        if (k.dynamicDebug) {
          k.prDebug(
            `vfio_iommu_group_notifier: Device ${dev.name}, group ${id} unbinding from driver ${dev.driver?.name ?? '(null)'}`,
          );
        }
        break;
      case IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER: {
        if (k.dynamicDebug) k.prDebug(`vfio_iommu_group_notifier: Device ${dev.name}, group ${id} unbound from driver`);
        const i = g.unboundList.indexOf(dev);
        if (i !== -1) g.unboundList.splice(i, 1);
        break;
      }
    }
    groupPut(st, g);
    return ret;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The vfio bus driver API

/**
 * Models vfio_add_group_dev(), drivers/vfio/vfio.c, called from a vfio bus driver's probe: -EINVAL for a device in
 * no IOMMU group; the vfio group found or created (/dev/vfio/N appears with the first device); -EBUSY with a
 * warning for a device already registered; else the device joins device_list. 0 or a negative errno. On 6.12 it is
 * vfio_register_group_dev() (group.ts).
 */
export function vfioAddGroupDev(kernel: Kernel, dev: Device, ops: VfioDeviceOps): number {
  const st = vfioState(kernel, 'vfioAddGroupDev()');
  if (st.modern) return vfioRegisterGroupDev(st, dev, ops);
  const k = st.kernel;
  return k.withFrame('vfio_add_group_dev', () => {
    const iommuGroup = iommuGroupGet(dev);
    if (iommuGroup === null) return -EINVAL;
    let g = groupOfIommu(st, iommuGroup);
    if (g === undefined) {
      const made = vfioCreateGroup(st, iommuGroup);
      if (typeof made === 'number') {
        iommuGroupPut(iommuGroup);
        return made;
      }
      g = made;
    } else {
      // A found vfio group already holds a reference to the IOMMU group.
      groupGet(g);
      iommuGroupPut(iommuGroup);
    }
    if (findDevice(g, dev) !== undefined) {
      k.warn('drivers/vfio/vfio.c:800', `Device ${dev.name} already exists on group ${iommuGroup.id}`);
      groupPut(st, g);
      return -EBUSY;
    }
    // vfio_group_create_device(): the device's reference holds a group reference.
    const device = new VfioDeviceImpl(dev, g, ops);
    groupGet(g);
    g.deviceList.unshift(device);
    st.drvdata.set(dev, device);
    groupPut(st, g);
    return 0;
  });
}

/**
 * Models vfio_del_group_dev(), drivers/vfio/vfio.c (6.12: vfio_unregister_group_dev(), group.ts), called from a
 * vfio bus driver's remove: the device goes on the unbound list and the driver's reference is dropped. When nothing
 * else holds the device, that releases it and the call returns undefined. While userspace still holds it (a device
 * fd is open), the call returns a sleepable path, which the remove must return (or `yield*`): it asks the driver
 * for the device (ops->request, counting from 0) and waits up to 10 s for it to leave the group
 * (vfio_dev_present()), again and again, as v4.12 does. In a task run another task closing the device fd ends the
 * wait; with one task nobody can, and past 120 s the wait is reported hung and the unbind ends with -EDEADLK, the
 * device still bound, on the unbound list; once the fd is closed the next unbind finishes. See
 * docs/decisions/2026-12-02-vfio-unbind-waits.md.
 */
export function vfioDelGroupDev(kernel: Kernel, dev: Device): Sleepable<void> | undefined {
  const st = vfioState(kernel, 'vfioDelGroupDev()');
  if (st.modern) return vfioUnregisterGroupDev(st, dev);
  const k = st.kernel;
  return k.withFrame('vfio_del_group_dev', () => {
    let blocked = st.blockedDel.get(dev);
    if (blocked === undefined) {
      const device = st.drvdata.get(dev);
      if (device === undefined) return undefined; // v4.12 would dereference a NULL drvdata; nothing vfio knows of
      const g = device.group;
      groupGet(g);
      g.unboundList.unshift(dev);
      blocked = { group: g, count: 0 };
      devicePut(st, device);
    } else {
      // An unbind that a hung-task report ended: it waits again from where it stopped.
      st.blockedDel.delete(dev);
    }
    if (findDevice(blocked.group, dev) === undefined) {
      groupPut(st, blocked.group);
      return undefined;
    }
    return vfioDelGroupDevWait(st, dev, blocked);
  });
}

/** The wait of vfio_del_group_dev(), drivers/vfio/vfio.c (v4.12): request, then wait_event_timeout(10 s), again. */
function* vfioDelGroupDevWait(st: VfioState, dev: Device, blocked: BlockedDel): Sleepable<void> {
  const k = st.kernel;
  const g = blocked.group;
  try {
    for (;;) {
      const device = findDevice(g, dev);
      if (device === undefined) break;
      device.ops.request?.(device, blocked.count++);
      // vfio_device_release() wakes vfio.release_q; sim's scheduler asks the condition itself.
      const what = unbindWaitWhat(k, 'vfio_del_group_dev()', dev, device);
      if (yield* k.waitEvent(what, () => findDevice(g, dev) === undefined, UNBIND_REQUEST_INTERVAL_MS)) break;
    }
  } catch (e) {
    // The hung-task report ended the wait (-EDEADLK): the unbind stops here; the next one waits again.
    st.blockedDel.set(dev, blocked);
    throw e;
  }
  groupPut(st, g);
}

/** HZ * 10: how often an unbind that waits for userspace asks the driver again for the device. */
export const UNBIND_REQUEST_INTERVAL_MS = 10_000;

/** What an unbind waits for, as the hung-task report names it: the device, its open fds, and how the wait ends. */
export function unbindWaitWhat(k: Kernel, fn: string, dev: Device, device: object): string {
  const fds = deviceFds(k, device);
  const held = fds.length === 0 ? 'a reference held' : `device fd ${fds.join(', ')} open`;
  return `the release of ${dev.name} by userspace in ${fn} (${held}): closing the device fd in another task lets the unbind finish; with one task, close it, then unbind (or remove) again`;
}

/** Marks a driver as one of vfio's own bus drivers (their binds pass the `vetoBind` check by identity). */
export function addVfioBusDriver(st: VfioState, drv: Driver): void {
  st.busDrivers.add(drv);
}

/**
 * Declares a registered driver to be a vfio bus driver (one whose probe calls vfioAddGroupDev()), so that its binds
 * pass the `vetoBind` check before the device is registered with vfio. v4.12 has no such interface; it follows the
 * June 2017 series' "vfio: Create interface for vfio bus drivers to register" (see
 * docs/decisions/2026-11-26-vfio-bus-drivers-at-bind.md). vfio-pci and vfio-platform are declared already.
 */
export function vfioRegisterBusDriver(kernel: Kernel, drv: Driver): void {
  const st = vfioState(kernel, 'vfioRegisterBusDriver()');
  if (
    typeof drv !== 'object' ||
    drv === null ||
    typeof drv.bus !== 'object' ||
    !kernel.buses().includes(drv.bus) ||
    kernel.driver(drv.name, drv.bus.name) !== drv
  ) {
    throw new SimError(
      'SIM_ERR_VFIO_BAD_ARGUMENT',
      `vfioRegisterBusDriver(): expected a registered driver (kernel.driver(name, bus)), got ${typeof drv === 'object' && drv !== null ? `driver '${(drv as Driver).name}', which is not registered` : String(drv)}`,
    );
  }
  st.busDrivers.add(drv);
}

// ---------------------------------------------------------------------------------------------------------------
// /dev/vfio/vfio: the container

/** Models vfio_container_put() and vfio_container_release(). */
export function containerPut(st: VfioState, c: ContainerImpl): void {
  c.kref--;
  if (c.kref === 0) st.containers.delete(c);
}

/** Models vfio_ioctl_check_extension(), drivers/vfio/vfio.c: the backend's answer, or the first positive one. */
function vfioIoctlCheckExtension(c: ContainerImpl, arg: number): number {
  if (c.backend !== null) return c.backend.checkExtension(arg);
  const ret = TYPE1.checkExtension(arg);
  return Math.max(ret, 0);
}

/**
 * Models vfio_ioctl_set_iommu(), drivers/vfio/vfio.c: -EINVAL with no group attached or a backend already set;
 * the first backend supporting `arg` attaches every group; -ENODEV when none does. Viability is not checked.
 */
function vfioIoctlSetIommu(c: ContainerImpl, arg: number): number {
  if (c.groupList.length === 0 || c.backend !== null) return -EINVAL;
  if (TYPE1.checkExtension(arg) <= 0) return -ENODEV;
  // vfio_iommu_type1_attach_group() of each group: the domain is not modelled and the attach succeeds.
  c.backend = TYPE1;
  return 0;
}

/** An ioctl argument given as a number, or as the name of a VFIO_* extension constant (for scenario files). */
export function extensionArg(arg: unknown): number {
  if (typeof arg === 'number') return arg;
  const named: Record<string, number> = {
    VFIO_TYPE1_IOMMU,
    VFIO_TYPE1v2_IOMMU,
    VFIO_TYPE1_NESTING_IOMMU,
    VFIO_SPAPR_TCE_IOMMU: 2,
    VFIO_DMA_CC_IOMMU: 4,
    VFIO_EEH: 5,
    VFIO_SPAPR_TCE_v2_IOMMU: 7,
    VFIO_NOIOMMU_IOMMU: 8,
  };
  return typeof arg === 'string' && arg in named ? named[arg]! : -1;
}

/** The container's file operations: vfio_fops_open(), vfio_fops_release(), vfio_fops_unl_ioctl(). */
export function containerFops(st: VfioState): FileOperations {
  return {
    open(file: OpenFile) {
      const c = new ContainerImpl();
      st.containers.add(c);
      file.private = c;
      return 0;
    },
    release(file: OpenFile) {
      const c = file.private as ContainerImpl;
      file.private = null;
      containerPut(st, c);
    },
    ioctl(file: OpenFile, cmd: string, arg: unknown) {
      const c = file.private as ContainerImpl | null;
      if (c === null) return -EINVAL;
      switch (cmd) {
        case VFIO_GET_API_VERSION:
          return VFIO_API_VERSION;
        case VFIO_CHECK_EXTENSION:
          return vfioIoctlCheckExtension(c, extensionArg(arg));
        case VFIO_SET_IOMMU:
          return st.modern ? vfioIoctlSetIommuModern(c, extensionArg(arg)) : vfioIoctlSetIommu(c, extensionArg(arg));
        default:
          // Passed through to the backend; vfio_iommu_type1's own ioctls (MAP_DMA, ...) are not modelled.
          return c.backend !== null ? -ENOTTY : -EINVAL;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// /dev/vfio/N: the group

/** Models __vfio_group_unset_container(), drivers/vfio/vfio.c: the last group out deprivileges the container. */
function vfioGroupUnsetContainerLocked(st: VfioState, g: VfioGroupImpl): void {
  const c = g.container!;
  g.container = null;
  const i = c.groupList.indexOf(g);
  if (i !== -1) c.groupList.splice(i, 1);
  if (c.backend !== null && c.groupList.length === 0) c.backend = null;
  containerPut(st, c);
}

/** Models vfio_group_unset_container(), drivers/vfio/vfio.c: only the 1 -> 0 transition is allowed. */
function vfioGroupUnsetContainer(st: VfioState, g: VfioGroupImpl): number {
  if (g.containerUsers === 0) return -EINVAL;
  if (g.containerUsers !== 1) return -EBUSY;
  g.containerUsers = 0;
  vfioGroupUnsetContainerLocked(st, g);
  return 0;
}

/** Models vfio_group_try_dissolve_container(), drivers/vfio/vfio.c: drop a user; the last one detaches. */
function vfioGroupTryDissolveContainer(st: VfioState, g: VfioGroupImpl): void {
  if (g.containerUsers === 0) return;
  g.containerUsers--;
  if (g.containerUsers === 0) vfioGroupUnsetContainerLocked(st, g);
}

/**
 * Models vfio_group_set_container(), drivers/vfio/vfio.c: -EINVAL when the group has container users already,
 * -EBADF for an fd that is not open, -EINVAL for an fd that is not /dev/vfio/vfio; the backend of a container that
 * has one attaches the group. Viability is not checked (v4.12). On success container_users = 1.
 */
function vfioGroupSetContainer(st: VfioState, g: VfioGroupImpl, fd: number): number {
  if (g.containerUsers !== 0) return -EINVAL;
  const file = st.kernel.dev.file(fd);
  if (file === undefined) return -EBADF;
  const c = file.private;
  if (!(c instanceof ContainerImpl) || !st.containers.has(c)) return -EINVAL;
  // v4.12 refuses to mix noiommu and real groups in one container (-EPERM); sim has no noiommu groups.
  g.container = c;
  c.groupList.push(g);
  c.kref++;
  g.containerUsers++;
  return 0;
}

/** The device fd's file operations: vfio_device_fops_release(), vfio_device_fops_unl_ioctl(). */
function deviceFops(st: VfioState): FileOperations {
  return {
    release(file: OpenFile) {
      const d = file.private as VfioDeviceImpl;
      d.ops.release?.(d);
      vfioGroupTryDissolveContainer(st, d.group);
      devicePut(st, d);
    },
    /** Models vfio_device_fops_unl_ioctl(): the bus driver's ioctl (-ENOTTY for a driver whose ioctls sim lacks). */
    ioctl(file: OpenFile, cmd: string, arg: unknown) {
      const d = file.private as VfioDeviceImpl;
      return d.ops.ioctl?.(d, cmd, arg) ?? -ENOTTY;
    },
  };
}

/**
 * Models vfio_group_get_device_fd(), drivers/vfio/vfio.c: -EINVAL without container users, without an IOMMU
 * backend (VFIO_SET_IOMMU) or when the group is not viable; -ENODEV for a name that is not a vfio device of the
 * group; else a new fd ([vfio-device]) that counts as a container user.
 */
function vfioGroupGetDeviceFd(st: VfioState, g: VfioGroupImpl, name: string): number {
  if (g.containerUsers === 0 || g.container?.backend == null || !vfioGroupViable(g)) return -EINVAL;
  const d = g.deviceList.find((x) => x.dev.name === name);
  if (d === undefined) return -ENODEV;
  deviceGet(d);
  const ret = d.ops.open?.(d) ?? 0;
  if (ret !== 0) {
    devicePut(st, d);
    return ret;
  }
  const fd = st.kernel.dev.anonInodeGetfd('[vfio-device]', deviceFops(st), d);
  g.containerUsers++;
  return fd;
}

/** Models vfio_group_fops_unl_ioctl(), drivers/vfio/vfio.c. */
function vfioGroupIoctl(st: VfioState, g: VfioGroupImpl, cmd: string, arg: unknown): number {
  switch (cmd) {
    case VFIO_GROUP_GET_STATUS: {
      // copy_from_user() of { argsz, flags }: anything but an object is a bad pointer.
      if (typeof arg !== 'object' || arg === null) return -EFAULT;
      const status = arg as { argsz?: unknown; flags?: unknown };
      const argsz = status.argsz ?? VFIO_GROUP_STATUS_SIZE;
      if (typeof argsz !== 'number') return -EFAULT;
      if (argsz < VFIO_GROUP_STATUS_SIZE) return -EINVAL;
      let flags = 0;
      if (vfioGroupViable(g)) flags |= VFIO_GROUP_FLAGS_VIABLE;
      if (g.container !== null) flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
      try {
        status.flags = flags;
      } catch {
        return -EFAULT;
      }
      return 0;
    }
    case VFIO_GROUP_SET_CONTAINER:
      // get_user() of an int: anything but an integer is a bad pointer.
      if (typeof arg !== 'number' || !Number.isInteger(arg)) return -EFAULT;
      if (arg < 0) return -EINVAL;
      return vfioGroupSetContainer(st, g, arg);
    case VFIO_GROUP_UNSET_CONTAINER:
      return vfioGroupUnsetContainer(st, g);
    case VFIO_GROUP_GET_DEVICE_FD:
      if (typeof arg !== 'string') return -EFAULT;
      return vfioGroupGetDeviceFd(st, g, arg);
    default:
      return -ENOTTY;
  }
}

/** The group node's file operations: vfio_group_fops_open(), _release(), _unl_ioctl(). */
function groupFops(st: VfioState, g: VfioGroupImpl): FileOperations {
  return {
    /** Models vfio_group_fops_open(): one open at a time (-EBUSY), and not while a container is still set. */
    open(file: OpenFile) {
      if (g.released) return -ENODEV;
      groupGet(g);
      if (g.opened) {
        groupPut(st, g);
        return -EBUSY;
      }
      g.opened = true;
      if (g.container !== null) {
        g.opened = false;
        groupPut(st, g);
        return -EBUSY;
      }
      file.private = g;
      return 0;
    },
    /** Models vfio_group_fops_release(). */
    release(file: OpenFile) {
      file.private = null;
      vfioGroupTryDissolveContainer(st, g);
      g.opened = false;
      groupPut(st, g);
    },
    ioctl(_file: OpenFile, cmd: string, arg: unknown) {
      return vfioGroupIoctl(st, g, cmd, arg);
    },
  };
}

/** vfio_init()'s visible part: the version line and /dev/vfio/vfio. */
export function vfioInit(st: VfioState): () => void {
  const k = st.kernel;
  k.dev.register('vfio/vfio', containerFops(st));
  k.printk(KERN_INFO, VFIO_VERSION_LINE);
  return () => {
    k.dev.unregister('vfio/vfio');
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Views for the explainer and tests (no references taken)

/** The vfio group of an IOMMU group, or undefined when no vfio bus driver ever registered one of its devices. */
export function vfioGroupOf(kernel: Kernel, iommuGroup: IommuGroup): VfioGroup | undefined {
  return groupOfIommu(vfioState(kernel, 'vfioGroupOf()'), iommuGroup);
}

/** The live vfio groups, by IOMMU group id. */
export function vfioGroups(kernel: Kernel): VfioGroup[] {
  return [...vfioState(kernel, 'vfioGroups()').groups].sort((a, b) => a.iommuGroup.id - b.iommuGroup.id);
}

/**
 * vfio_dev_viable() of a device in a vfio group, as v4.12's notifier would compute it now (0 or -EINVAL). On 6.12,
 * whether the device stands in the way of DMA ownership: -EPERM when a driver that uses the DMA API is bound to it.
 */
export function vfioDeviceViable(group: VfioGroup, dev: Device): number {
  if (isModern(group)) {
    return dev.driver !== null && !dev.driver.driverManagedDma ? -EPERM : 0;
  }
  return vfioDevViable(group as VfioGroupImpl, dev);
}

/** VFIO_GROUP_GET_STATUS's VIABLE flag now: v4.12's vfio_group_viable(); 6.12's owner_cnt test. */
export function vfioGroupIsViable(group: VfioGroup): boolean {
  if (isModern(group)) return group.container !== null || group.iommuGroup.ownerCnt === 0;
  return vfioGroupViable(group as VfioGroupImpl);
}

/** True for a group of a 6.12 kernel. */
function isModern(group: VfioGroup): boolean {
  return (group as VfioGroupImpl).modern;
}

/** True when `drv` is one of vfio's own bus drivers in this kernel. */
export function isVfioDriver(kernel: Kernel, drv: Driver | null): boolean {
  return isVfioBusDriver(vfioState(kernel, 'isVfioDriver()'), drv);
}

/** The vfio device of `dev` (registered by a vfio bus driver), or undefined. */
export function vfioDeviceOf(kernel: Kernel, dev: Device): VfioDevice | undefined {
  return vfioState(kernel, 'vfioDeviceOf()').drvdata.get(dev);
}

/**
 * True when an unbind of `dev` stopped in vfio_del_group_dev() (6.12: vfio_unregister_group_dev()): its wait was
 * reported hung and ended with -EDEADLK, the device left mid-unbind until the next unbind (see vfioDelGroupDev()).
 */
export function isUnbindBlocked(kernel: Kernel, dev: Device): boolean {
  return vfioState(kernel, 'isUnbindBlocked()').blockedDel.has(dev);
}

/** The fds open on one vfio device (the files whose private data is it): what an unbind waits for. */
export function deviceFds(k: Kernel, device: object): number[] {
  return k.dev
    .openFiles()
    .filter((f) => k.dev.file(f.fd)?.private === device)
    .map((f) => f.fd);
}

/** The open device fds of a vfio group (each counts as a container user). */
export function vfioGroupDeviceFds(kernel: Kernel, group: VfioGroup): number[] {
  const k = vfioState(kernel, 'vfioGroupDeviceFds()').kernel;
  return k.dev
    .openFiles()
    .filter((f) => {
      const priv = k.dev.file(f.fd)?.private;
      return priv instanceof VfioDeviceImpl && priv.group === group;
    })
    .map((f) => f.fd);
}
