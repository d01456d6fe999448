import type { FlagDef } from '@sim/core';

// The IOMMU group notifier actions of include/linux/iommu.h (v4.12, lines 268-273). They are a series of their own:
// BIND_DRIVER is 3 here but BUS_NOTIFY_BIND_DRIVER is 4 on the bus chain.

/** Device added to the group (sent after it is in, by iommu_group_add_device()). */
export const IOMMU_GROUP_NOTIFY_ADD_DEVICE = 1;
/** Pre device removed (sent by iommu_group_remove_device() before it goes). */
export const IOMMU_GROUP_NOTIFY_DEL_DEVICE = 2;
/** Pre driver bind (from BUS_NOTIFY_BIND_DRIVER). */
export const IOMMU_GROUP_NOTIFY_BIND_DRIVER = 3;
/** Post driver bind (from BUS_NOTIFY_BOUND_DRIVER). */
export const IOMMU_GROUP_NOTIFY_BOUND_DRIVER = 4;
/** Pre driver unbind (from BUS_NOTIFY_UNBIND_DRIVER). */
export const IOMMU_GROUP_NOTIFY_UNBIND_DRIVER = 5;
/** Post driver unbind (from BUS_NOTIFY_UNBOUND_DRIVER). */
export const IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER = 6;

/** The six actions, by value. */
export const IOMMU_GROUP_NOTIFY_EVENTS = [
  IOMMU_GROUP_NOTIFY_ADD_DEVICE,
  IOMMU_GROUP_NOTIFY_DEL_DEVICE,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
] as const;

const NAMES: Readonly<Record<number, string>> = {
  [IOMMU_GROUP_NOTIFY_ADD_DEVICE]: 'IOMMU_GROUP_NOTIFY_ADD_DEVICE',
  [IOMMU_GROUP_NOTIFY_DEL_DEVICE]: 'IOMMU_GROUP_NOTIFY_DEL_DEVICE',
  [IOMMU_GROUP_NOTIFY_BIND_DRIVER]: 'IOMMU_GROUP_NOTIFY_BIND_DRIVER',
  [IOMMU_GROUP_NOTIFY_BOUND_DRIVER]: 'IOMMU_GROUP_NOTIFY_BOUND_DRIVER',
  [IOMMU_GROUP_NOTIFY_UNBIND_DRIVER]: 'IOMMU_GROUP_NOTIFY_UNBIND_DRIVER',
  [IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER]: 'IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER',
};

/** The constant's name for an IOMMU group action (`IOMMU_GROUP_NOTIFY_BIND_DRIVER`), or undefined. */
export function iommuGroupNotifyName(action: number): string | undefined {
  return NAMES[action];
}

/** The flag @sim/iommu-group declares. */
export const PERCOLATE = 'percolate';

/** The flag's definition, as profiles and `kernel.knownFlags()` show it. */
export const PERCOLATE_FLAG: FlagDef = {
  name: PERCOLATE,
  description:
    "iommu_bus_notifier() returns the IOMMU group chain's answer for BIND/BOUND/UNBIND/UNBOUND_DRIVER instead of 0, so a group notifier's NOTIFY_BAD reaches the bus chain and stops it (the seed's \"plumbing the IOMMU group notifier to percolate notifier block returns\")",
  where: 'drivers/iommu/iommu.c iommu_bus_notifier()',
  refusedOn: {
    '6.12':
      'iommu_bus_notifier() has no group chain answer to pass on: the IOMMU group notifier chain was removed in v5.19 ("iommu: Remove iommu group changes notifier"), and since v6.3 bus_notify() returns nothing to the driver core',
  },
};
