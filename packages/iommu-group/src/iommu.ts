import {
  type BlockingNotifierHead,
  type Device,
  EFAULT,
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
 * Models struct iommu_group, drivers/iommu/iommu.c: an id, its sysfs directory, its devices and its blocking
 * notifier chain. `dev.iommuGroup` of a member device is this object.
 */
export interface IommuGroup extends IommuGroupRef {
  /** group->id: the directory name under /sys/kernel/iommu_groups and, for vfio, the N of /dev/vfio/N. */
  readonly id: number;
  /** `/sys/kernel/iommu_groups/<id>`. */
  readonly path: string;
  /** group->name (iommu_group_set_name()), or null. */
  readonly name: string | null;
  /**
   * group->notifier: the chain iommu_group_register_notifier() adds to (blocking, named `iommu_group:<id>`).
   * Callbacks get the device as data.
   */
  readonly notifier: BlockingNotifierHead<Device>;
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

/** The group as this package holds it. */
export class IommuGroupImpl implements IommuGroup {
  refs = 1;
  released = false;
  name: string | null = null;
  readonly entries: GroupDevice[] = [];
  readonly path: string;

  constructor(
    readonly state: IommuState,
    readonly id: number,
    /** The membership key this group was made for (options), or null for a group allocated through the API. */
    readonly key: string | null,
    readonly notifier: BlockingNotifierHead<Device>,
  ) {
    this.path = `${IOMMU_GROUPS_DIR}/${id}`;
  }

  get refcount(): number {
    return this.refs;
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
}

const states = new WeakMap<Kernel, IommuState>();

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
  };
  states.set(kernel, state);
  return state;
}

/** Forgets the state (teardown). */
export function dropState(kernel: Kernel): void {
  states.delete(kernel);
}

/** The state of a kernel that uses the plugin; a SimError naming the fix otherwise. */
export function iommuState(kernel: Kernel, who: string): IommuState {
  const st = typeof kernel === 'object' && kernel !== null ? states.get(kernel) : undefined;
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
  return states.has(kernel);
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
  const notifier = k.createChain<'blocking', Device>(
    'blocking',
    `iommu_group:${id}`,
    (a) => iommuGroupNotifyName(a) ?? `action ${a}`,
  );
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
  k.dropChain(group.notifier);
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
  return k.withFrame('iommu_group_add_device', () => {
    const fail = (ret: number): number => {
      k.printk(KERN_ERR, `iommu: Failed to add device ${dev.name} to group ${g.id}: ${ret}`);
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

/** Models iommu_group_register_notifier(), drivers/iommu/iommu.c: blocking_notifier_chain_register(). */
export function iommuGroupRegisterNotifier(group: IommuGroup, nb: NotifierBlock<Device>): Registration {
  return checkGroup(group, 'iommuGroupRegisterNotifier()').notifier.register(nb);
}

/** Models iommu_group_unregister_notifier(), drivers/iommu/iommu.c: blocking_notifier_chain_unregister(). */
export function iommuGroupUnregisterNotifier(group: IommuGroup, nb: NotifierBlock<Device>): number {
  return checkGroup(group, 'iommuGroupUnregisterNotifier()').notifier.unregister(nb);
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
    k.dropChain(g.notifier);
    g.released = true;
  }
  st.groups.clear();
  st.byKey.clear();
}
