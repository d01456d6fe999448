import { type FlagDef, type ProfileDef, STOP_BIND_ON_NOTIFY_BAD } from '@sim/core';
import { PERCOLATE } from '@sim/iommu-group';

// include/uapi/linux/vfio.h (v4.12). sim's ioctl(2) takes the command by name; the values are kept for reference.

/** VFIO_API_VERSION: what VFIO_GET_API_VERSION returns. */
export const VFIO_API_VERSION = 0;
/** IOMMU extensions (VFIO_CHECK_EXTENSION / VFIO_SET_IOMMU arguments). */
export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_SPAPR_TCE_IOMMU = 2;
export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_DMA_CC_IOMMU = 4;
export const VFIO_EEH = 5;
export const VFIO_TYPE1_NESTING_IOMMU = 6;
export const VFIO_SPAPR_TCE_v2_IOMMU = 7;
export const VFIO_NOIOMMU_IOMMU = 8;

/** struct vfio_group_status flags: the group is viable (every device is in a state userspace may own it in). */
export const VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
/** struct vfio_group_status flags: the group is attached to a container. */
export const VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;
/** sizeof(struct vfio_group_status): argsz and flags, two u32. */
export const VFIO_GROUP_STATUS_SIZE = 8;

/** The container ioctls (/dev/vfio/vfio). */
export const VFIO_GET_API_VERSION = 'VFIO_GET_API_VERSION';
export const VFIO_CHECK_EXTENSION = 'VFIO_CHECK_EXTENSION';
export const VFIO_SET_IOMMU = 'VFIO_SET_IOMMU';
/** The group ioctls (/dev/vfio/N). */
export const VFIO_GROUP_GET_STATUS = 'VFIO_GROUP_GET_STATUS';
export const VFIO_GROUP_SET_CONTAINER = 'VFIO_GROUP_SET_CONTAINER';
export const VFIO_GROUP_UNSET_CONTAINER = 'VFIO_GROUP_UNSET_CONTAINER';
export const VFIO_GROUP_GET_DEVICE_FD = 'VFIO_GROUP_GET_DEVICE_FD';

/**
 * The out argument of VFIO_GROUP_GET_STATUS (struct vfio_group_status): pass an object, the ioctl returns 0 and
 * sets `flags`, as copy_to_user() would. `argsz` defaults to 8; below 8 the ioctl is -EINVAL.
 */
export interface VfioGroupStatus {
  argsz?: number;
  flags?: number;
}

/** vfio_driver_whitelist[] of drivers/vfio/vfio.c (v4.12): drivers harmless in a user-owned group. */
export const VFIO_DRIVER_WHITELIST: readonly string[] = ['pci-stub'];

/** Where v4.12's vfio_iommu_group_notifier() hits BUG_ON on BOUND_DRIVER. */
export const VFIO_BUG_WHERE = 'drivers/vfio/vfio.c:733';

/** The flag @sim/vfio declares. */
export const VETO_BIND = 'vetoBind';

/** The flag's definition. */
export const VETO_BIND_FLAG: FlagDef = {
  name: VETO_BIND,
  description:
    "vfio_iommu_group_notifier() answers IOMMU_GROUP_NOTIFY_BIND_DRIVER with NOTIFY_BAD when the device's group is in use (container_users > 0) and the driver would leave it not viable (vfio's own bus drivers pass), instead of only a pr_debug line",
  where: 'drivers/vfio/vfio.c vfio_iommu_group_notifier()',
  refusedOn: {
    '6.12':
      'vfio_iommu_group_notifier() is gone: v5.19 removed vfio\'s IOMMU group notifier and its BUG_ON ("vfio: Remove iommu group notifier") along with the group chain; DMA ownership refuses such a bind in dma_configure() instead, with -EBUSY',
  },
};

/** The profile the seed RFC aims at: the dd.c change, the IOMMU group plumbing and vfio's veto together. */
export const RFC_2017_PROFILE: ProfileDef = {
  name: 'rfc-2017',
  base: '4.12',
  description:
    "the seed RFC as planned: driver_sysfs_add() stops on NOTIFY_BAD, iommu_bus_notifier() percolates the group chain's answer, vfio answers BIND_DRIVER with NOTIFY_BAD for a bind that would break a live group",
  flags: [STOP_BIND_ON_NOTIFY_BAD, PERCOLATE, VETO_BIND],
};

/** The device ioctl that sets a device's interrupt eventfds (struct vfio_irq_set), include/uapi/linux/vfio.h. */
export const VFIO_DEVICE_SET_IRQS = 'VFIO_DEVICE_SET_IRQS';
/** struct vfio_irq_set flags: the data kind (none, a u8 bool, an s32 eventfd) and the action. */
export const VFIO_IRQ_SET_DATA_NONE = 1 << 0;
export const VFIO_IRQ_SET_DATA_BOOL = 1 << 1;
export const VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
export const VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
export const VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
export const VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;
/** vfio-pci's interrupt indexes (the same in v4.12 and 6.12): INTx, MSI, MSI-X, the AER error, the device request. */
export const VFIO_PCI_INTX_IRQ_INDEX = 0;
export const VFIO_PCI_MSI_IRQ_INDEX = 1;
export const VFIO_PCI_MSIX_IRQ_INDEX = 2;
export const VFIO_PCI_ERR_IRQ_INDEX = 3;
export const VFIO_PCI_REQ_IRQ_INDEX = 4;
export const VFIO_PCI_NUM_IRQS = 5;

/**
 * The argument of VFIO_DEVICE_SET_IRQS (struct vfio_irq_set and its data). sim has no eventfd(2): `eventfd` is a
 * number standing for one (any number that is not one of sim's open files; -1 clears). The short form
 * `{ index: VFIO_PCI_REQ_IRQ_INDEX, eventfd: 9 }` means DATA_EVENTFD | ACTION_TRIGGER, start 0, count 1. vfio-pci
 * models the request index only (the interrupt indexes 0-3 answer -ENOTTY, not modelled).
 */
export interface VfioIrqSet {
  /** VFIO_IRQ_SET_DATA_* | VFIO_IRQ_SET_ACTION_*; default DATA_EVENTFD | ACTION_TRIGGER. */
  flags?: number;
  index: number;
  /** Default 0. */
  start?: number;
  /** Default 1. */
  count?: number;
  /** The s32 data of DATA_EVENTFD: an eventfd, or -1 to clear. */
  eventfd?: number;
  /** The u8 data of DATA_BOOL: signal the eventfd (loopback). */
  data?: boolean;
}
