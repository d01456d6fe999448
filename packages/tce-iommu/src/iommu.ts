import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  type BusNotifierBlock,
  type Device,
  EBUSY,
  EINVAL,
  ENOENT,
  KERN_ERR,
  type Kernel,
} from '@sim/core';
import {
  type IommuGroup,
  iommuGroupAddDevice,
  iommuGroupAlloc,
  iommuGroupPut,
  iommuGroupRemoveDevice,
  iommuGroupSetName,
} from '@sim/iommu-group';
import { getIommuTableBase, type TceTable } from './tce.ts';

/** The name the notifier block carries in traces and audits (the kernel function's name). */
export const TCE_IOMMU_NOTIFIER_NAME = 'tce_iommu_bus_notifier';
const FILE = 'arch/powerpc/kernel/iommu.c';

/** What arch/powerpc/kernel/iommu.c keeps for one kernel. */
export interface TceState {
  readonly kernel: Kernel;
  /** The kernel's PAGE_SHIFT (12: 4 KiB pages, 16: 64 KiB pages). */
  readonly pageShift: number;
  /** The table groups' IOMMU groups, by `<phb>:<pe>` (iommu_register_group() made them; this state holds them). */
  readonly tableGroups: Map<string, IommuGroup>;
}

/** Models iommu_register_group(), arch/powerpc/kernel/iommu.c: the PE's IOMMU group, named domain<phb>-pe<pe>. */
function iommuRegisterGroup(st: TceState, phb: number, pe: number): IommuGroup {
  return st.kernel.withFrame('iommu_register_group', () => {
    const group = iommuGroupAlloc(st.kernel);
    iommuGroupSetName(group, `domain${phb}-pe${pe.toString(16)}`);
    return group;
  });
}

/**
 * The IOMMU group of a table's table group (tgl->table_group->group). sim has no PE setup: the group is
 * registered for the PE the first time one of its devices needs it, as pnv_pci_ioda*_setup_dma_pe() would have.
 */
function tableGroupOf(st: TceState, tbl: TceTable): IommuGroup {
  const phb = tbl.phb ?? 0;
  const key = `${phb}:${tbl.pe}`;
  let group = st.tableGroups.get(key);
  if (group === undefined || group.released) {
    group = iommuRegisterGroup(st, phb, tbl.pe);
    st.tableGroups.set(key, group);
  }
  return group;
}

function hex(n: number): string {
  return n.toString(16);
}

/**
 * Models iommu_add_device(), arch/powerpc/kernel/iommu.c (v4.12, one argument), checks in the kernel's order:
 * -ENOENT for a device not in sysfs; -EBUSY for a device already in a group; 0 without a TCE table or without a
 * table group; -EINVAL when the IOMMU page is larger than the kernel's page; else iommu_group_add_device().
 */
export function iommuAddDevice(st: TceState, dev: Device): number {
  const k = st.kernel;
  return k.withFrame('iommu_add_device', () => {
    if (!dev.isRegistered) return -ENOENT;
    if (dev.iommuGroup !== null) {
      if (k.dynamicDebug)
        k.prDebug(`iommu_add_device: Skipping device ${dev.name} with iommu group ${dev.iommuGroup.id}`);
      return -EBUSY;
    }
    const tbl = getIommuTableBase(dev, (why) =>
      k.warn(`${FILE} (sim)`, `props.tce of ${dev.name} is not a TCE table (${why}): read as no table`),
    );
    if (tbl === null) {
      if (k.dynamicDebug) k.prDebug(`iommu_add_device: Skipping device ${dev.name} with no tbl`);
      return 0;
    }
    if (!tbl.linked) {
      if (k.dynamicDebug) k.prDebug(`iommu_add_device: Skipping device ${dev.name} with no group`);
      return 0;
    }
    const group = tableGroupOf(st, tbl);
    if (k.dynamicDebug) k.prDebug(`iommu_add_device: Adding ${dev.name} to iommu group ${group.id}`);
    const pageSize = 2 ** st.pageShift;
    const iommuPageSize = 2 ** tbl.pageShift;
    if (pageSize < iommuPageSize) {
      k.printk(
        KERN_ERR,
        `iommu_add_device: Invalid IOMMU page size ${hex(iommuPageSize)} (${hex(pageSize)}) on ${dev.name}`,
      );
      return -EINVAL;
    }
    return iommuGroupAddDevice(group, dev);
  });
}

/** Models iommu_del_device(), arch/powerpc/kernel/iommu.c: the device leaves its group (if it has one). */
export function iommuDelDevice(st: TceState, dev: Device): void {
  const k = st.kernel;
  k.withFrame('iommu_del_device', () => {
    if (dev.iommuGroup === null) {
      if (k.dynamicDebug) k.prDebug(`iommu_tce: skipping device ${dev.name} with no tbl`);
      return;
    }
    iommuGroupRemoveDevice(dev);
  });
}

/** NULL data where the kernel dereferences the device: the oops it would take. */
function nullDev(k: Kernel, line: number): never {
  return k.bug(`${FILE}:${line}`, 'Unable to handle kernel paging request for data (dev is NULL)');
}

/**
 * Models tce_iommu_bus_notifier(), arch/powerpc/kernel/iommu.c: ADD_DEVICE answers iommu_add_device()'s raw int;
 * DEL_DEVICE takes a grouped device out of its group and answers 0; every other event 0.
 */
export function tceIommuBusNotifier(st: TceState, action: number, dev: Device | null): number {
  const k = st.kernel;
  return k.withFrame(TCE_IOMMU_NOTIFIER_NAME, () => {
    switch (action) {
      case BUS_NOTIFY_ADD_DEVICE:
        if (dev === null) return nullDev(k, 1112);
        return iommuAddDevice(st, dev);
      case BUS_NOTIFY_DEL_DEVICE:
        if (dev === null) return nullDev(k, 1177);
        if (dev.iommuGroup !== null) iommuDelDevice(st, dev);
        return 0;
      default:
        return 0;
    }
  });
}

/**
 * Models tce_iommu_bus_notifier_init(), arch/powerpc/kernel/iommu.c: registers the block on the PCI bus, ignores
 * the result and returns 0. Returns the undo for sim's teardown (the kernel never unregisters it).
 */
export function tceIommuBusNotifierInit(st: TceState): () => void {
  const nb: BusNotifierBlock = {
    name: TCE_IOMMU_NOTIFIER_NAME,
    notifierCall: (action, dev) => tceIommuBusNotifier(st, action, dev),
  };
  const reg = st.kernel.bus('pci').registerNotifier(nb);
  return () => {
    reg.unregister();
    // The table groups' references (iommu_register_group() allocated them; nothing in v4.12 frees them).
    for (const group of st.tableGroups.values()) if (!group.released) iommuGroupPut(group);
    st.tableGroups.clear();
  };
}
