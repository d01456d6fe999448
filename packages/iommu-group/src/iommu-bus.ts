import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_REMOVED_DEVICE,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  type Bus,
  type BusNotifierBlock,
  type Device,
  ENODEV,
  NOTIFY_DONE,
  NOTIFY_OK,
} from '@sim/core';
import {
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
} from './constants.ts';
import { iommuOpsAddDevice, iommuOpsRemoveDevice } from './device-group.ts';
import { groupOfDevice, type IommuState, iommuGroupGet, iommuGroupPut } from './iommu.ts';

/** The name of the block iommu_bus_init() registers on each bus (it shows in traces). */
export const IOMMU_BUS_NOTIFIER = 'iommu_bus_notifier';

/** The BUS_NOTIFY_* -> IOMMU_GROUP_NOTIFY_* translation of iommu_bus_notifier(): 4..7 -> 3..6. */
export function groupActionOf(busAction: number): number {
  switch (busAction) {
    case BUS_NOTIFY_BIND_DRIVER:
      return IOMMU_GROUP_NOTIFY_BIND_DRIVER;
    case BUS_NOTIFY_BOUND_DRIVER:
      return IOMMU_GROUP_NOTIFY_BOUND_DRIVER;
    case BUS_NOTIFY_UNBIND_DRIVER:
      return IOMMU_GROUP_NOTIFY_UNBIND_DRIVER;
    case BUS_NOTIFY_UNBOUND_DRIVER:
      return IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER;
    default:
      return 0;
  }
}

/**
 * Models iommu_bus_notifier(), drivers/iommu/iommu.c. ADD_DEVICE: the IOMMU driver's add_device, NOTIFY_OK when it
 * succeeded, NOTIFY_DONE when it failed. REMOVED_DEVICE of a device in a group: remove_device, 0. BIND, BOUND,
 * UNBIND and UNBOUND_DRIVER of a device in a group: the same event on the group's chain (3..6), and 0 whatever
 * it answered, or, under `percolate`, its answer. Everything else (DEL_DEVICE, DRIVER_NOT_BOUND): 0.
 */
export function iommuBusNotifier(st: IommuState, action: number, dev: Device | null): number {
  const k = st.kernel;
  if (dev === null) {
    // dev->bus->iommu_ops with dev == NULL: v4.12 dereferences NULL.
    return k.bug(
      'drivers/iommu/iommu.c:1098',
      'BUG: unable to handle kernel NULL pointer dereference in iommu_bus_notifier',
    );
  }
  return k.withFrame(IOMMU_BUS_NOTIFIER, () => {
    if (action === BUS_NOTIFY_ADD_DEVICE) {
      return iommuOpsAddDevice(st, dev) !== 0 ? NOTIFY_DONE : NOTIFY_OK;
    }
    if (action === BUS_NOTIFY_REMOVED_DEVICE && groupOfDevice(dev) !== null) {
      iommuOpsRemoveDevice(st, dev);
      return 0;
    }
    const group = iommuGroupGet(dev);
    if (group === null) return 0;
    const groupAction = groupActionOf(action);
    let ret = 0;
    if (groupAction !== 0) {
      const answer = k.callChain(group.notifier, groupAction, dev, IOMMU_BUS_NOTIFIER);
      if (st.percolate) ret = answer;
      if (k.tracing) {
        k.traceOutcome(
          group.notifier,
          groupAction,
          answer,
          IOMMU_BUS_NOTIFIER,
          st.percolate ? 'propagated' : 'ignored',
          st.percolate
            ? "iommu_bus_notifier() returns the group chain's answer to the bus chain (percolate)"
            : 'iommu_bus_notifier() returns 0 whatever the group chain answered',
        );
      }
    }
    iommuGroupPut(group);
    return ret;
  });
}

/** Models remove_iommu_group(), drivers/iommu/iommu.c (iommu_bus_init()'s undo). */
function removeIommuGroup(st: IommuState, dev: Device): number {
  if (groupOfDevice(dev) !== null) iommuOpsRemoveDevice(st, dev);
  return 0;
}

/**
 * Models add_iommu_group(), drivers/iommu/iommu.c: WARN_ON a device already in a group, then add_device;
 * -ENODEV (not translated) is no error.
 */
function addIommuGroup(st: IommuState, dev: Device): number {
  const k = st.kernel;
  if (dev.iommuGroup !== null) k.warn('drivers/iommu/iommu.c:1069', `WARN_ON(dev->iommu_group) for ${dev.name}`);
  const ret = iommuOpsAddDevice(st, dev);
  return ret === -ENODEV ? 0 : ret;
}

/**
 * Models iommu_bus_init(), drivers/iommu/iommu.c (called by bus_set_iommu()): registers iommu_bus_notifier on the
 * bus, then runs add_iommu_group over the devices already there; an error undoes both. Returns the kernel's int
 * and the undo of the registration.
 */
export function iommuBusInit(st: IommuState, bus: Bus): { ret: number; unregister: () => void } {
  const k = st.kernel;
  const nb: BusNotifierBlock = {
    name: IOMMU_BUS_NOTIFIER,
    notifierCall: (action, dev) => iommuBusNotifier(st, action, dev),
  };
  return k.withFrame('iommu_bus_init', () => {
    const reg = bus.registerNotifier(nb);
    if (reg.ret !== 0) return { ret: reg.ret, unregister: () => {} };
    let err = 0;
    for (const dev of bus.devices()) {
      err = addIommuGroup(st, dev);
      if (err !== 0) break;
    }
    if (err !== 0) {
      for (const dev of bus.devices()) removeIommuGroup(st, dev);
      reg.unregister();
      return { ret: err, unregister: () => {} };
    }
    return { ret: 0, unregister: () => void reg.unregister() };
  });
}
