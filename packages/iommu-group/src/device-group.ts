import { type Device, ENODEV, isPciDevice, SimError } from '@sim/core';
import {
  allocGroup,
  groupOfDevice,
  type IommuGroup,
  type IommuState,
  iommuGroupAddDevice,
  iommuGroupPut,
  iommuGroupRemoveDevice,
} from './iommu.ts';

/** Which group a device belongs to: a key shared by its group's members, and the id the options pin, if any. */
export interface GroupKey {
  readonly key: string;
  readonly pinned: number | null;
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/**
 * The membership the options give a device, or null for none: what an IOMMU driver's device_group() decides
 * (pci_device_group(), generic_device_group(), drivers/iommu/iommu.c) reduced to the topology's own rule.
 */
export function deviceGroupKey(st: IommuState, dev: Device): GroupKey | null {
  const explicit = st.options.groups.get(dev.name);
  if (typeof explicit === 'number') return { key: `id:${explicit}`, pinned: explicit };
  if (typeof explicit === 'string') return { key: `label:${explicit}`, pinned: null };
  const rule = st.options.rule;
  if (rule === 'none') return null;
  if (typeof rule === 'function') {
    const label = rule(dev);
    if (label === null) return null;
    if (typeof label !== 'string' || label === '') {
      throw new SimError(
        'SIM_ERR_IOMMU_BAD_OPTION',
        `iommuGroupPlugin(): the rule function returned ${JSON.stringify(label)} for ${dev.name}; return a non-empty label or null`,
      );
    }
    return { key: `label:${label}`, pinned: null };
  }
  if (isPciDevice(dev) && rule === 'slot') {
    return { key: `slot:${hex(dev.domain, 4)}:${hex(dev.busNr, 2)}:${hex(dev.slot, 2)}`, pinned: null };
  }
  if (isPciDevice(dev) && rule === 'bus')
    return { key: `bus:${hex(dev.domain, 4)}:${hex(dev.busNr, 2)}`, pinned: null };
  return { key: `dev:${dev.bus.name}/${dev.name}`, pinned: null };
}

/**
 * Models iommu_group_get_for_dev(), drivers/iommu/iommu.c, with the IOMMU driver's device_group(): the device's
 * group if it has one; else the group of its key (referenced) or a new one, then iommu_group_add_device(). The
 * caller holds a reference on success; a negative errno otherwise (-ENODEV: no IOMMU translates the device).
 */
export function iommuGroupGetForDev(st: IommuState, dev: Device): IommuGroup | number {
  const have = groupOfDevice(dev);
  if (have !== null) {
    have.refs++;
    return have;
  }
  const key = deviceGroupKey(st, dev);
  if (key === null) return -ENODEV;
  let group = st.byKey.get(key.key);
  if (group !== undefined) group.refs++;
  else {
    const made = allocGroup(st, key.key, key.pinned);
    if (typeof made === 'number') return made;
    group = made;
  }
  const ret = iommuGroupAddDevice(group, dev);
  if (ret !== 0) {
    iommuGroupPut(group);
    return ret;
  }
  return group;
}

/**
 * Models the IOMMU driver's add_device op (intel_iommu_add_device(), drivers/iommu/intel-iommu.c):
 * iommu_group_get_for_dev(), then the reference it handed back is dropped (the device keeps its own). 0 or a
 * negative errno.
 */
export function iommuOpsAddDevice(st: IommuState, dev: Device): number {
  return st.kernel.withFrame('iommu_ops add_device', () => {
    const group = iommuGroupGetForDev(st, dev);
    if (typeof group === 'number') return group;
    iommuGroupPut(group);
    return 0;
  });
}

/** Models the IOMMU driver's remove_device op (intel_iommu_remove_device()): iommu_group_remove_device(). */
export function iommuOpsRemoveDevice(st: IommuState, dev: Device): void {
  st.kernel.withFrame('iommu_ops remove_device', () => iommuGroupRemoveDevice(dev));
}
