import {
  type BlockingNotifierHead,
  type Device,
  EBUSY,
  EFAULT,
  ENODEV,
  EPERM,
  type IommuGroupRef,
  KERN_ERR,
  KERN_INFO,
  type Kernel,
  type NotifierBlock,
  type Registration,
  SimError,
} from '@sim/core';
import { IOMMU_GROUP_NOTIFY_ADD_DEVICE, IOMMU_GROUP_NOTIFY_DEL_DEVICE, iommuGroupNotifyName } from './constants.ts';
import { Ida } from './ida.ts';
import type { ResolvedOptions } from './options.ts';

/** Where the groups live in sysfs (the `iommu_groups` kset under the kernel kobject, iommu_init()). */
export const IOMMU_GROUPS_DIR = '/sys/kernel/iommu_groups';

/**
 * The domain a group's devices are attached to (group->domain, 6.12): the default (DMA API) domain, the blocking
 * domain (no DMA at all: userspace owns the group but has not attached a domain), or an unmanaged domain of
 * userspace's own (vfio's type1 after VFIO_SET_IOMMU).
 */
export type IommuDomainKind = 'default' | 'blocking' | 'unmanaged';

/** Who claimed a group's DMA (group->owner, an opaque pointer in the kernel): any object, named for messages. */
export interface DmaOwner {
  readonly name: string;
}

/**
 * Models struct iommu_group, drivers/iommu/iommu.c: an id, its sysfs directory, its devices, and per kernel either
 * its blocking notifier chain (v4.12) or its DMA ownership (6.12). `dev.iommuGroup` of a member device is this
 * object.
 */
export interface IommuGroup extends IommuGroupRef {
  /** group->id: the directory name under /sys/kernel/iommu_groups and, for vfio, the N of /dev/vfio/N. */
  readonly id: number;
  /** `/sys/kernel/iommu_groups/<id>`. */
  readonly path: string;
  /** group->name (iommu_group_set_name()), or null. */
  readonly name: string | null;
  /**
   * group->notifier (v4.12): the chain iommu_group_register_notifier() adds to (blocking, named `iommu_group:<id>`).
   * Callbacks get the device as data. 6.12 has no such chain (removed in v5.19): reading it is a SimError
   * (SIM_ERR_IOMMU_NO_GROUP_CHAIN).
   */
  readonly notifier: BlockingNotifierHead<Device>;
  /**
   * group->owner_cnt (6.12): kernel drivers using the default domain (one each), or 1 for the owner who claimed the
   * group (more for iommufd's per-device claims). Always 0 on v4.12.
   */
  readonly ownerCnt: number;
  /** group->owner (6.12): who claimed the group's DMA (vfio), or null while the kernel owns it. */
  readonly owner: DmaOwner | null;
  /** group->domain (6.12): 'default' while the kernel owns the group. Always 'default' on v4.12. */
  readonly domain: IommuDomainKind;
  /** References held (each member device holds one; iommu_group_get() takes one). */
  readonly refcount: number;
  /** True once the last reference went: the id is free again and the object must not be used. */
  readonly released: boolean;
  /** The member devices, in the order they were added (group->devices). */
  devices(): Device[];
}

/** One entry of group->devices: the device and its link name under devices/ (`<dev>` or `<dev>.N`). */
interface GroupDevice {
  readonly dev: Device;
  readonly name: string;
}

/**
 * The layout of the objects this package keeps on a kernel (its state, its groups). Every copy of the package loaded
 * in one process (a bundle and a plugin's node_modules, two versions side by side) reads the state of a kernel and
 * the groups on its devices through registry-wide symbols, so a copy with the same layout works on what another
 * copy made; a copy with another layout is refused by name instead of misreading it.
 */
export const IOMMU_STATE_LAYOUT = 1;
/** Where the state sits on a kernel: a registry-wide symbol, the same in every copy of the package. */
const STATE_KEY = Symbol.for('@sim/iommu-group/state');
/** The brand of a group made by any copy of the package, valued with its layout. */
const GROUP_BRAND = Symbol.for('@sim/iommu-group/group');

/** The group as this package holds it. */
export class IommuGroupImpl implements IommuGroup {
  /** `instanceof IommuGroupImpl` is a brand check, true for the groups of every copy of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [GROUP_BRAND]?: unknown })[GROUP_BRAND] === IOMMU_STATE_LAYOUT
    );
  }

  readonly [GROUP_BRAND] = IOMMU_STATE_LAYOUT;
  refs = 1;
  released = false;
  name: string | null = null;
  readonly entries: GroupDevice[] = [];
  readonly path: string;
  ownerCnt = 0;
  owner: DmaOwner | null = null;
  domain: IommuDomainKind = 'default';

  constructor(
    readonly state: IommuState,
    readonly id: number,
    /** The membership key this group was made for (options), or null for a group allocated through the API. */
    readonly key: string | null,
    /** The group chain (v4.12), or null (6.12). */
    readonly chain: BlockingNotifierHead<Device> | null,
  ) {
    this.path = `${IOMMU_GROUPS_DIR}/${id}`;
  }

  get notifier(): BlockingNotifierHead<Device> {
    if (this.chain === null) throw noGroupChain(this.state.kernel, `IOMMU group ${this.id}'s notifier`);
    return this.chain;
  }

  get refcount(): number {
    return this.refs;
  }

  /** Models iommu_device_use_default_domain(), drivers/iommu/iommu.c (6.12), for core's dma_configure(). */
  useDefaultDomain(_dev: Device): number {
    if (!this.state.dmaOwnership) return 0;
    if (this.ownerCnt > 0 && (this.domain !== 'default' || this.owner !== null)) return -EBUSY;
    this.ownerCnt++;
    return 0;
  }

  /** Models iommu_device_unuse_default_domain(), drivers/iommu/iommu.c (6.12), for core's dma_cleanup(). */
  unuseDefaultDomain(_dev: Device): void {
    if (!this.state.dmaOwnership) return;
    if (this.ownerCnt === 0) {
      this.state.kernel.warn('drivers/iommu/iommu.c:3154', 'WARN_ON(!group->owner_cnt)');
      return;
    }
    this.ownerCnt--;
  }

  devices(): Device[] {
    return this.entries.map((e) => e.dev);
  }
}

/** Everything @sim/iommu-group keeps for one kernel. */
export interface IommuState {
  readonly kernel: Kernel;
  readonly options: ResolvedOptions;
  /** iommu_group_ida. */
  readonly ida: Ida;
  /** The live groups, by id. */
  readonly groups: Map<number, IommuGroupImpl>;
  /** The live groups made for a membership key of the options. */
  readonly byKey: Map<string, IommuGroupImpl>;
  /** The `percolate` flag, read once at setup. */
  readonly percolate: boolean;
  /** The kernel has the IOMMU group notifier chain (v4.12; removed in v5.19). */
  readonly groupChain: boolean;
  /** The kernel has DMA ownership (v5.19 on). */
  readonly dmaOwnership: boolean;
}

/** What a kernel carries under STATE_KEY. */
interface StateSlot {
  readonly layout: number;
  readonly state: IommuState;
}

function slot(kernel: unknown): StateSlot | undefined {
  if ((typeof kernel !== 'object' && typeof kernel !== 'function') || kernel === null) return undefined;
  return (kernel as { [STATE_KEY]?: StateSlot })[STATE_KEY];
}

/** The state of any copy of the package on a kernel, or undefined; a SimError for a copy of another layout. */
function stateOf(kernel: unknown, who: string): IommuState | undefined {
  const s = slot(kernel);
  if (s === undefined) return undefined;
  if (s.layout !== IOMMU_STATE_LAYOUT) {
    throw new SimError(
      'SIM_ERR_IOMMU_NOT_IN_USE',
      `${who}: this kernel uses another version of @sim/iommu-group (state layout ${s.layout}; this copy reads layout ${IOMMU_STATE_LAYOUT}); install one version of @sim/iommu-group (a peer dependency of the plugins that use it)`,
    );
  }
  return s.state;
}

/** Creates the state at setup (iommu_init()). */
export function createState(kernel: Kernel, options: ResolvedOptions, percolate: boolean): IommuState {
  const pinned = new Set<number>();
  for (const g of options.groups.values()) if (typeof g === 'number') pinned.add(g);
  const state: IommuState = {
    kernel,
    options,
    ida: new Ida(pinned),
    groups: new Map(),
    byKey: new Map(),
    percolate,
    groupChain: kernel.version.iommuGroupChain,
    dmaOwnership: kernel.version.dmaOwnership,
  };
  Object.defineProperty(kernel, STATE_KEY, {
    value: { layout: IOMMU_STATE_LAYOUT, state } satisfies StateSlot,
    configurable: true,
    enumerable: false,
    writable: false,
  });
  return state;
}

/** Forgets the state (teardown). */
export function dropState(kernel: Kernel): void {
  delete (kernel as { [STATE_KEY]?: StateSlot })[STATE_KEY];
}

/** The state of a kernel that uses the plugin; a SimError naming the fix otherwise. */
export function iommuState(kernel: Kernel, who: string): IommuState {
  const st = stateOf(kernel, who);
  if (st === undefined) {
    throw new SimError(
      'SIM_ERR_IOMMU_NOT_IN_USE',
      `${who}: this kernel does not use @sim/iommu-group; pass iommuGroupPlugin() to createKernel({ plugins }) or kernel.use() first`,
    );
  }
  return st;
}

/** True when the kernel uses the plugin. */
export function usesIommuGroups(kernel: Kernel): boolean {
  return slot(kernel) !== undefined;
}

function checkGroup(group: unknown, who: string): IommuGroupImpl {
  if (!(group instanceof IommuGroupImpl)) {
    throw new SimError(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
      `${who}: expected an IommuGroup from @sim/iommu-group (iommuGroupAlloc(), iommuGroupGet()), got ${describe(group)}`,
    );
  }
  if (group.released) {
    throw new SimError(
      'SIM_ERR_IOMMU_GROUP_RELEASED',
      `${who}: IOMMU group ${group.id} was released (its last reference went); take a reference with iommuGroupGet() while you use a group`,
    );
  }
  return group;
}

function checkDevice(dev: unknown, who: string): Device {
  const d = dev as Device;
  if (typeof dev !== 'object' || dev === null || typeof d.name !== 'string' || typeof d.bus !== 'object') {
    throw new SimError(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
      `${who}: expected a device (kernel.device(name)), got ${describe(dev)}`,
    );
  }
  return d;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
  return `${typeof value} ${String(value)}`;
}

/** The group of a device, or null (no reference taken). */
export function groupOfDevice(dev: Device): IommuGroupImpl | null {
  const g = dev.iommuGroup;
  return g instanceof IommuGroupImpl && !g.released ? g : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Allocation and references

/** The group's reserved_regions text: the union of its devices' regions, by start (iommu_group_show_resv_regions). */
function showResvRegions(group: IommuGroupImpl): string {
  if (group.entries.length === 0) return '';
  const seen = new Map<string, { start: number; end: number; type: string }>();
  for (const r of group.state.options.reservedRegions) {
    const end = r.start + r.length - 1;
    seen.set(`${r.start}-${end}-${r.type}`, { start: r.start, end, type: r.type });
  }
  const hex = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;
  return [...seen.values()]
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((r) => `${hex(r.start)} ${hex(r.end)} ${r.type}\n`)
    .join('');
}

/**
 * Models iommu_group_alloc(), drivers/iommu/iommu.c: the lowest free id (or the pinned one), the directory
 * /sys/kernel/iommu_groups/<id> with devices/ and reserved_regions, an empty chain; the caller holds the one
 * reference. Returns -ENOSPC when a pinned id is taken.
 */
export function allocGroup(st: IommuState, key: string | null, pinned: number | null): IommuGroupImpl | number {
  const k = st.kernel;
  const id = pinned === null ? st.ida.get() : st.ida.getExact(pinned);
  if (id < 0) return -28; // -ENOSPC, what ida_simple_get() returns for a range with no free id
  const path = `${IOMMU_GROUPS_DIR}/${id}`;
  const ret = k.sysfs.createDir(path);
  if (ret !== 0) {
    st.ida.remove(id);
    return ret;
  }
  k.sysfs.createDir(`${path}/devices`);
  // 6.12's struct iommu_group has no notifier head (v5.19, "iommu: Remove iommu group changes notifier").
  const notifier = st.groupChain
    ? k.createChain<'blocking', Device>(
        'blocking',
        `iommu_group:${id}`,
        (a) => iommuGroupNotifyName(a) ?? `action ${a}`,
      )
    : null;
  const group = new IommuGroupImpl(st, id, key, notifier);
  k.sysfs.createFile(`${path}/reserved_regions`, { mode: 0o444, show: () => showResvRegions(group) });
  st.groups.set(id, group);
  if (key !== null) st.byKey.set(key, group);
  if (k.dynamicDebug) k.prDebug(`iommu: Allocated group ${id}`);
  return group;
}

/** Models iommu_group_alloc(), drivers/iommu/iommu.c: a new group with the lowest free id; the caller holds a reference. */
export function iommuGroupAlloc(kernel: Kernel): IommuGroup {
  const st = iommuState(kernel, 'iommuGroupAlloc()');
  const group = allocGroup(st, null, null);
  // Only a pinned id can be taken; an unpinned allocation always succeeds in sim (no -ENOMEM).
  return group as IommuGroupImpl;
}

/** Models iommu_group_release(), drivers/iommu/iommu.c: the directory goes, the id is free again, the chain too. */
function releaseGroup(group: IommuGroupImpl): void {
  const st = group.state;
  const k = st.kernel;
  k.sysfs.remove(group.path);
  if (k.dynamicDebug) k.prDebug(`iommu: Releasing group ${group.id}`);
  st.ida.remove(group.id);
  if (group.chain !== null) k.dropChain(group.chain);
  group.released = true;
  st.groups.delete(group.id);
  if (group.key !== null && st.byKey.get(group.key) === group) st.byKey.delete(group.key);
}

/** Models iommu_group_get(), drivers/iommu/iommu.c: the device's group with a reference taken, or null. */
export function iommuGroupGet(dev: Device): IommuGroup | null {
  checkDevice(dev, 'iommuGroupGet()');
  const group = groupOfDevice(dev);
  if (group !== null) group.refs++;
  return group;
}

/** Models iommu_group_ref_get(), drivers/iommu/iommu.c: another reference on a group. */
export function iommuGroupRefGet(group: IommuGroup): IommuGroup {
  checkGroup(group, 'iommuGroupRefGet()').refs++;
  return group;
}

/** Models iommu_group_put(), drivers/iommu/iommu.c: drops a reference; the last one releases the group. */
export function iommuGroupPut(group: IommuGroup | null): void {
  if (group === null) return;
  const g = checkGroup(group, 'iommuGroupPut()');
  g.refs--;
  if (g.refs === 0) releaseGroup(g);
}

/** Models iommu_group_get_by_id(), drivers/iommu/iommu.c: the group with that id, referenced, or null. */
export function iommuGroupGetById(kernel: Kernel, id: number): IommuGroup | null {
  const group = iommuState(kernel, 'iommuGroupGetById()').groups.get(id);
  if (group === undefined) return null;
  group.refs++;
  return group;
}

/** Models iommu_group_id(), drivers/iommu/iommu.c. */
export function iommuGroupId(group: IommuGroup): number {
  return checkGroup(group, 'iommuGroupId()').id;
}

/**
 * Models iommu_group_set_name(), drivers/iommu/iommu.c: sets (or with null clears) the name and its `name` file
 * (0444) in the group's directory. 0 or a negative errno.
 */
export function iommuGroupSetName(group: IommuGroup, name: string | null): number {
  const g = checkGroup(group, 'iommuGroupSetName()');
  const k = g.state.kernel;
  if (name !== null && typeof name !== 'string') {
    throw new SimError(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
      `iommuGroupSetName(): name must be a string or null, got ${describe(name)}`,
    );
  }
  if (g.name !== null) {
    k.sysfs.remove(`${g.path}/name`);
    g.name = null;
    if (name === null) return 0;
  }
  if (name === null) return 0;
  g.name = name;
  const ret = k.sysfs.createFile(`${g.path}/name`, { mode: 0o444, show: () => `${g.name}\n` });
  if (ret !== 0) g.name = null;
  return ret;
}

// ---------------------------------------------------------------------------------------------------------------
// Membership

/**
 * Models iommu_group_add_device(), drivers/iommu/iommu.c (v4.12 order): the `<dev>/iommu_group` link (a device
 * already in a group fails here with -EEXIST and the sysfs warning, as v4.12 does), the
 * `devices/<dev>` link (renamed `<dev>.N` on a clash, without a warning), a reference, `dev->iommu_group`, the
 * list; then IOMMU_GROUP_NOTIFY_ADD_DEVICE, whose answer is ignored, and only then the "Adding device" line.
 * 0 or a negative errno (with "Failed to add device ..." at KERN_ERR).
 */
export function iommuGroupAddDevice(group: IommuGroup, dev: Device): number {
  const g = checkGroup(group, 'iommuGroupAddDevice()');
  checkDevice(dev, 'iommuGroupAddDevice()');
  const k = g.state.kernel;
  const modern = !g.state.groupChain;
  return k.withFrame('iommu_group_add_device', () => {
    const fail = (ret: number): number => {
      // 6.12: iommu_group_alloc_device()'s dev_err; v4.12: pr_err.
      if (modern) k.devPrintk(KERN_ERR, dev, `Failed to add to iommu group ${g.id}: ${ret}`);
      else k.printk(KERN_ERR, `iommu: Failed to add device ${dev.name} to group ${g.id}: ${ret}`);
      return ret;
    };
    // sysfs_create_link() on a device that is not in sysfs: its kobject has no directory.
    if (!dev.isRegistered) return fail(-EFAULT);
    let ret = k.sysfs.createLink(`${dev.path}/iommu_group`, g.path);
    if (ret !== 0) return fail(ret);
    let name = dev.name;
    let i = 0;
    // sysfs_create_link_nowarn(): a clash is retried as <name>.0, <name>.1, ... without a warning.
    while (k.sysfs.exists(`${g.path}/devices/${name}`)) name = `${dev.name}.${i++}`;
    ret = k.sysfs.createLink(`${g.path}/devices/${name}`, dev.path);
    if (ret !== 0) {
      k.sysfs.remove(`${dev.path}/iommu_group`);
      return fail(ret);
    }
    if (modern) {
      // iommu_group_alloc_device(), v5.19 on: the line comes with the links; no chain to tell.
      k.devPrintk(KERN_INFO, dev, `Adding to iommu group ${g.id}`);
      g.refs++;
      dev.iommuGroup = g;
      g.entries.push({ dev, name });
      return 0;
    }
    g.refs++;
    dev.iommuGroup = g;
    g.entries.push({ dev, name });
    const answer = k.callChain(g.notifier, IOMMU_GROUP_NOTIFY_ADD_DEVICE, dev, 'iommu_group_add_device');
    if (k.tracing) {
      k.traceOutcome(
        g.notifier,
        IOMMU_GROUP_NOTIFY_ADD_DEVICE,
        answer,
        'iommu_group_add_device',
        'ignored',
        'iommu_group_add_device() ignores the answer: the device is in the group already',
      );
    }
    k.printk(KERN_INFO, `iommu: Adding device ${dev.name} to group ${g.id}`);
    return 0;
  });
}

/**
 * Models iommu_group_remove_device(), drivers/iommu/iommu.c (v4.12 order): the "Removing device" line first, then
 * IOMMU_GROUP_NOTIFY_DEL_DEVICE (answer ignored), then the device leaves the list, both links go,
 * `dev->iommu_group` is cleared and its reference dropped (the last one releases the group). A device in no
 * group is a SimError here (v4.12 dereferences NULL).
 */
export function iommuGroupRemoveDevice(dev: Device): void {
  checkDevice(dev, 'iommuGroupRemoveDevice()');
  const g = groupOfDevice(dev);
  if (g === null) {
    throw new SimError(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
      `iommuGroupRemoveDevice(): device ${dev.name} is in no IOMMU group (v4.12 would dereference NULL); check dev.iommuGroup first`,
    );
  }
  const k = g.state.kernel;
  if (!g.state.groupChain) {
    // 6.12: dev_info, then __iommu_group_remove_device().
    k.withFrame('iommu_group_remove_device', () => {
      k.devPrintk(KERN_INFO, dev, `Removing from iommu group ${g.id}`);
      iommuGroupLeave(g, dev);
    });
    return;
  }
  k.withFrame('iommu_group_remove_device', () => {
    k.printk(KERN_INFO, `iommu: Removing device ${dev.name} from group ${g.id}`);
    const answer = k.callChain(g.notifier, IOMMU_GROUP_NOTIFY_DEL_DEVICE, dev, 'iommu_group_remove_device');
    if (k.tracing) {
      k.traceOutcome(
        g.notifier,
        IOMMU_GROUP_NOTIFY_DEL_DEVICE,
        answer,
        'iommu_group_remove_device',
        'ignored',
        'iommu_group_remove_device() ignores the answer: the device leaves the group',
      );
    }
    const i = g.entries.findIndex((e) => e.dev === dev);
    if (i === -1) return;
    const [entry] = g.entries.splice(i, 1);
    k.sysfs.remove(`${g.path}/devices/${entry!.name}`);
    k.sysfs.remove(`${dev.path}/iommu_group`);
    dev.iommuGroup = null;
    iommuGroupPut(g);
  });
}

/**
 * Models __iommu_group_remove_device() and __iommu_group_free_device(), drivers/iommu/iommu.c (6.12): both links
 * go, the device leaves the list silently, `dev->iommu_group` is cleared and the reference dropped. A group left
 * empty while still owned or off its default domain is the kernel's WARN_ON.
 */
export function iommuGroupLeave(g: IommuGroupImpl, dev: Device): void {
  const k = g.state.kernel;
  const i = g.entries.findIndex((e) => e.dev === dev);
  if (i === -1) return;
  const [entry] = g.entries.splice(i, 1);
  k.sysfs.remove(`${g.path}/devices/${entry!.name}`);
  k.sysfs.remove(`${dev.path}/iommu_group`);
  if (g.entries.length === 0 && (g.ownerCnt !== 0 || g.domain !== 'default')) {
    k.warn(
      'drivers/iommu/iommu.c:632',
      `WARN_ON(group->owner_cnt || group->domain != group->default_domain): group ${g.id} emptied while owner_cnt ${g.ownerCnt}, domain ${g.domain}`,
    );
  }
  dev.iommuGroup = null;
  iommuGroupPut(g);
}

/**
 * Models iommu_group_for_each_dev(), drivers/iommu/iommu.c: calls `fn` on each member in order and stops at the
 * first non-zero return, which it returns (0 when every call returned 0).
 */
export function iommuGroupForEachDev(group: IommuGroup, fn: (dev: Device) => number): number {
  const g = checkGroup(group, 'iommuGroupForEachDev()');
  for (const e of [...g.entries]) {
    const ret = fn(e.dev);
    if (ret !== 0) return ret;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// The group's chain

/**
 * Models iommu_group_register_notifier(), drivers/iommu/iommu.c (v4.12): blocking_notifier_chain_register(). A
 * SimError on 6.12, which has no group chain (SIM_ERR_IOMMU_NO_GROUP_CHAIN).
 */
export function iommuGroupRegisterNotifier(group: IommuGroup, nb: NotifierBlock<Device>): Registration {
  return checkGroup(group, 'iommuGroupRegisterNotifier()').notifier.register(nb);
}

/** Models iommu_group_unregister_notifier(), drivers/iommu/iommu.c (v4.12): blocking_notifier_chain_unregister(). */
export function iommuGroupUnregisterNotifier(group: IommuGroup, nb: NotifierBlock<Device>): number {
  return checkGroup(group, 'iommuGroupUnregisterNotifier()').notifier.unregister(nb);
}

/** The misuse error for the group chain on a kernel that has none. */
function noGroupChain(kernel: Kernel, what: string): SimError {
  return new SimError(
    'SIM_ERR_IOMMU_NO_GROUP_CHAIN',
    `${what}: Linux ${kernel.version.base} has no IOMMU group notifier chain (removed in v5.19 by "iommu: Remove iommu group changes notifier"; DMA ownership replaced it); use a profile on base 4.12 for the group chain, or read the group's ownerCnt, owner and domain`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// DMA ownership (6.12)

function checkOwnership(group: unknown, who: string): IommuGroupImpl {
  const g = checkGroup(group, who);
  if (!g.state.dmaOwnership) {
    throw new SimError(
      'SIM_ERR_IOMMU_NO_DMA_OWNERSHIP',
      `${who}: Linux ${g.state.kernel.version.base} has no DMA ownership (it came in v5.19); use profile v6.12`,
    );
  }
  return g;
}

function checkOwner(owner: unknown, who: string): DmaOwner {
  if (typeof owner !== 'object' || owner === null || typeof (owner as DmaOwner).name !== 'string') {
    throw new SimError(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
      `${who}: the owner is an object with a name, such as { name: 'my-user' } (the kernel compares owners by identity), got ${describe(owner)}`,
    );
  }
  return owner as DmaOwner;
}

/**
 * Models __iommu_take_dma_ownership(), drivers/iommu/iommu.c: -EBUSY off the default domain; else the group moves
 * to its blocking domain (no device of it can DMA) and `owner` takes it.
 */
function takeDmaOwnership(g: IommuGroupImpl, owner: DmaOwner): number {
  if (g.domain !== 'default') return -EBUSY;
  g.domain = 'blocking';
  g.owner = owner;
  g.ownerCnt++;
  return 0;
}

/** Models __iommu_release_dma_ownership(), drivers/iommu/iommu.c: back to the kernel and the default domain. */
function releaseDmaOwnership(g: IommuGroupImpl): void {
  if (g.ownerCnt === 0 || g.owner === null) {
    g.state.kernel.warn('drivers/iommu/iommu.c:3276', 'WARN_ON(!group->owner_cnt || !group->owner)');
    return;
  }
  g.ownerCnt = 0;
  g.owner = null;
  g.domain = 'default';
}

/**
 * Models iommu_group_claim_dma_owner(), drivers/iommu/iommu.c (6.12), what vfio's VFIO_GROUP_SET_CONTAINER calls:
 * -EPERM while any kernel driver uses the group's DMA (owner_cnt > 0) or it is claimed already; -EBUSY off the
 * default domain; else 0, the group on its blocking domain and owned by `owner`.
 */
export function iommuGroupClaimDmaOwner(group: IommuGroup, owner: DmaOwner): number {
  const g = checkOwnership(group, 'iommuGroupClaimDmaOwner()');
  checkOwner(owner, 'iommuGroupClaimDmaOwner()');
  if (g.ownerCnt !== 0) return -EPERM;
  return takeDmaOwnership(g, owner);
}

/** Models iommu_group_release_dma_owner(), drivers/iommu/iommu.c (6.12). */
export function iommuGroupReleaseDmaOwner(group: IommuGroup): void {
  releaseDmaOwnership(checkOwnership(group, 'iommuGroupReleaseDmaOwner()'));
}

/**
 * Models iommu_device_claim_dma_owner(), drivers/iommu/iommu.c (6.12), iommufd's per-device claim: -ENODEV for a
 * device in no group; -EPERM if another owner (a kernel driver counts as none) holds the group; the same owner
 * counts once more.
 */
export function iommuDeviceClaimDmaOwner(dev: Device, owner: DmaOwner): number {
  checkDevice(dev, 'iommuDeviceClaimDmaOwner()');
  checkOwner(owner, 'iommuDeviceClaimDmaOwner()');
  const found = groupOfDevice(dev);
  if (found === null) return -ENODEV;
  const g = checkOwnership(found, 'iommuDeviceClaimDmaOwner()');
  if (g.ownerCnt !== 0) {
    if (g.owner !== owner) return -EPERM;
    g.ownerCnt++;
    return 0;
  }
  return takeDmaOwnership(g, owner);
}

/** Models iommu_device_release_dma_owner(), drivers/iommu/iommu.c (6.12). */
export function iommuDeviceReleaseDmaOwner(dev: Device): void {
  checkDevice(dev, 'iommuDeviceReleaseDmaOwner()');
  const found = groupOfDevice(dev);
  if (found === null) {
    throw new SimError(
      'SIM_ERR_IOMMU_BAD_ARGUMENT',
      `iommuDeviceReleaseDmaOwner(): device ${dev.name} is in no IOMMU group; release only what iommuDeviceClaimDmaOwner() claimed`,
    );
  }
  const g = checkOwnership(found, 'iommuDeviceReleaseDmaOwner()');
  if (g.ownerCnt > 1) g.ownerCnt--;
  else releaseDmaOwnership(g);
}

/** Models iommu_group_dma_owner_claimed(), drivers/iommu/iommu.c (6.12): owner_cnt as a truth value. */
export function iommuGroupDmaOwnerClaimed(group: IommuGroup): boolean {
  return checkOwnership(group, 'iommuGroupDmaOwnerClaimed()').ownerCnt !== 0;
}

/**
 * Models iommu_attach_group(), drivers/iommu/iommu.c (6.12), for vfio_iommu_type1's attach: the group moves to
 * userspace's unmanaged domain; -EBUSY unless it is on its default or blocking domain (one user domain at a time).
 */
export function iommuAttachGroup(group: IommuGroup): number {
  const g = checkOwnership(group, 'iommuAttachGroup()');
  if (g.domain !== 'default' && g.domain !== 'blocking') return -EBUSY;
  g.domain = 'unmanaged';
  return 0;
}

/**
 * Models iommu_detach_group(), drivers/iommu/iommu.c (6.12): back to the blocking domain while an owner holds the
 * group, else to the default domain (__iommu_group_set_core_domain()).
 */
export function iommuDetachGroup(group: IommuGroup): void {
  const g = checkOwnership(group, 'iommuDetachGroup()');
  g.domain = g.owner !== null ? 'blocking' : 'default';
}

// ---------------------------------------------------------------------------------------------------------------
// sim's views (no references taken)

/** The live groups of a kernel, by id. */
export function iommuGroups(kernel: Kernel): IommuGroup[] {
  return [...iommuState(kernel, 'iommuGroups()').groups.values()].sort((a, b) => a.id - b.id);
}

/** The live group with this id, or undefined (no reference taken: for looking, not for keeping). */
export function findIommuGroup(kernel: Kernel, id: number): IommuGroup | undefined {
  return iommuState(kernel, 'findIommuGroup()').groups.get(id);
}

/** The group a device is in, or null (no reference taken). */
export function deviceIommuGroup(dev: Device): IommuGroup | null {
  checkDevice(dev, 'deviceIommuGroup()');
  return groupOfDevice(dev);
}

/** Teardown: every group's directory and links go, devices leave their groups, chains are forgotten. */
export function dismantle(st: IommuState): void {
  const k = st.kernel;
  for (const g of [...st.groups.values()]) {
    for (const e of g.entries) {
      k.sysfs.remove(`${e.dev.path}/iommu_group`);
      if (e.dev.iommuGroup === g) e.dev.iommuGroup = null;
    }
    g.entries.length = 0;
    k.sysfs.remove(g.path);
    if (g.chain !== null) k.dropChain(g.chain);
    g.released = true;
  }
  st.groups.clear();
  st.byKey.clear();
}
