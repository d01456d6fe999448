import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_REMOVED_DEVICE,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  type Bus,
  type BusNotifierBlock,
  type BusNotifyTable,
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
import { groupOfDevice, type IommuState, iommuGroupGet, iommuGroupLeave, iommuGroupPut } from './iommu.ts';

/** The name of the block iommu_bus_init() registers on each bus (it shows in traces). */
export const IOMMU_BUS_NOTIFIER = 'iommu_bus_notifier';

/** The BUS_NOTIFY_* -> IOMMU_GROUP_NOTIFY_* translation of v4.12's iommu_bus_notifier(): 4..7 -> 3..6. */
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
  if (!st.groupChain) return iommuBusNotifierModern(st, k.busEvents, action, dev);
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

/**
 * Models iommu_bus_notifier(), drivers/iommu/iommu.c:1662 (6.12): ADD_DEVICE probes the device into its group
 * (iommu_probe_device(): NOTIFY_OK, or NOTIFY_DONE on any error, -ENODEV for a device no IOMMU covers included);
 * REMOVED_DEVICE releases it from its group without a line (iommu_release_device(), NOTIFY_OK). Every other event:
 * 0, and nothing happens: there is no group chain to pass it to.
 */
function iommuBusNotifierModern(st: IommuState, events: BusNotifyTable, action: number, dev: Device | null): number {
  const k = st.kernel;
  if (action !== events.BUS_NOTIFY_ADD_DEVICE && action !== events.BUS_NOTIFY_REMOVED_DEVICE) return 0;
  if (dev === null) {
    // dev_iommu_fwspec_get(dev) / dev->iommu_group with dev == NULL: a NULL pointer dereference.
    return k.bug(
      'drivers/iommu/iommu.c:1667',
      'BUG: kernel NULL pointer dereference, address: 0000000000000000 in iommu_bus_notifier',
    );
  }
  return k.withFrame(IOMMU_BUS_NOTIFIER, () => {
    if (action === events.BUS_NOTIFY_ADD_DEVICE) return iommuProbeDevice(st, dev) !== 0 ? NOTIFY_DONE : NOTIFY_OK;
    iommuReleaseDevice(st, dev);
    return NOTIFY_OK;
  });
}

/**
 * Models iommu_probe_device(), drivers/iommu/iommu.c (6.12): a device in a group is probed already (0); else the
 * IOMMU driver's device_group() finds or allocates its group and iommu_group_alloc_device() adds it ("Adding to
 * iommu group N"); it joins the group's current domain, which in a group userspace owns is userspace's.
 */
export function iommuProbeDevice(st: IommuState, dev: Device): number {
  if (groupOfDevice(dev) !== null) return 0;
  return st.kernel.withFrame('iommu_probe_device', () => iommuOpsAddDevice(st, dev));
}

/** Models iommu_release_device(), drivers/iommu/iommu.c (6.12): out of its group, silently. */
export function iommuReleaseDevice(st: IommuState, dev: Device): void {
  const g = groupOfDevice(dev);
  if (g !== null) st.kernel.withFrame('iommu_release_device', () => iommuGroupLeave(g, dev));
}

/** Models remove_iommu_group(), drivers/iommu/iommu.c (iommu_bus_init()'s undo). */
function removeIommuGroup(st: IommuState, dev: Device): number {
  if (groupOfDevice(dev) === null) return 0;
  if (st.groupChain) iommuOpsRemoveDevice(st, dev);
  else iommuReleaseDevice(st, dev);
  return 0;
}

/**
 * Models add_iommu_group(), drivers/iommu/iommu.c: WARN_ON a device already in a group, then add_device;
 * -ENODEV (not translated) is no error.
 */
function addIommuGroup(st: IommuState, dev: Device): number {
  const k = st.kernel;
  if (!st.groupChain) {
    // probe_iommu_group(), bus_iommu_probe() (6.12): a device in a group is probed already; -ENODEV is no error.
    const ret = iommuProbeDevice(st, dev);
    return ret === -ENODEV ? 0 : ret;
  }
  if (dev.iommuGroup !== null) k.warn('drivers/iommu/iommu.c:1069', `WARN_ON(dev->iommu_group) for ${dev.name}`);
  const ret = iommuOpsAddDevice(st, dev);
  return ret === -ENODEV ? 0 : ret;
}

/**
 * Models iommu_bus_init(), drivers/iommu/iommu.c (v4.12, called by bus_set_iommu()): registers iommu_bus_notifier
 * on the bus, then runs add_iommu_group over the devices already there; an error undoes both. Returns the kernel's
 * int and the undo of the registration. On 6.12 the same two steps are iommu_subsys_init()'s registration and
 * bus_iommu_probe() over the devices present.
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
