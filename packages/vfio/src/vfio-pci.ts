import {
  type Device,
  EFAULT,
  EINVAL,
  ENOTTY,
  isPciDevice,
  KERN_NOTICE,
  KERN_WARNING,
  type Kernel,
  PCI_HEADER_TYPE_NORMAL,
  SimError,
  type Sleepable,
} from '@sim/core';
import { deviceIommuGroup, iommuGroupGet, iommuGroupPut } from '@sim/iommu-group';
import {
  VFIO_DEVICE_SET_IRQS,
  VFIO_IRQ_SET_ACTION_MASK,
  VFIO_IRQ_SET_ACTION_TRIGGER,
  VFIO_IRQ_SET_ACTION_UNMASK,
  VFIO_IRQ_SET_DATA_BOOL,
  VFIO_IRQ_SET_DATA_EVENTFD,
  VFIO_IRQ_SET_DATA_NONE,
  VFIO_PCI_NUM_IRQS,
  VFIO_PCI_REQ_IRQ_INDEX,
  type VfioIrqSet,
} from './constants.ts';
import {
  addVfioBusDriver,
  type VfioDeviceOps,
  type VfioState,
  vfioAddGroupDev,
  vfioDelGroupDev,
  vfioDeviceOf,
} from './vfio.ts';

/** The vfio bus driver for PCI devices. */
export const VFIO_PCI = 'vfio-pci';
/** The vfio bus driver for platform devices. */
export const VFIO_PLATFORM = 'vfio-platform';

/** vfio-pci's per-device state sim models (struct vfio_pci_device): the request eventfd and the open count. */
interface VfioPciState {
  /** vdev->req_trigger: the eventfd VFIO_DEVICE_SET_IRQS set on the request index, or null. */
  reqTrigger: number | null;
  /** How often the request eventfd was signalled (eventfd_signal()); what the user would read from it. */
  signals: number;
  /** vdev->refcnt: the open device fds. */
  refcnt: number;
}

/** vfio_pci_ops with the state of its device (each probe makes its own). */
interface VfioPciOps extends VfioDeviceOps {
  readonly pci: VfioPciState;
}

/** The request eventfd of a device bound to vfio-pci, as VFIO_DEVICE_SET_IRQS left it (see vfioPciReqTrigger()). */
export interface VfioPciReqTrigger {
  /** The eventfd number given to VFIO_DEVICE_SET_IRQS. */
  readonly eventfd: number;
  /** How many times vfio-pci signalled it: one per request of an unbind that waits, plus loopback triggers. */
  readonly signals: number;
}

/**
 * The request eventfd (req_trigger) of a device bound to vfio-pci, or null when none is set (or the device is not
 * a vfio-pci device). Read-only: it changes through VFIO_DEVICE_SET_IRQS on the device fd.
 */
export function vfioPciReqTrigger(kernel: Kernel, dev: Device): VfioPciReqTrigger | null {
  const ops = vfioDeviceOf(kernel, dev)?.ops as Partial<VfioPciOps> | undefined;
  const pci = ops?.pci;
  if (pci === undefined || pci.reqTrigger === null) return null;
  return { eventfd: pci.reqTrigger, signals: pci.signals };
}

/**
 * vfio_pci_ops: open and release count the open fds (vfio_pci_enable() is not modelled; 6.12's close_device drops
 * the request eventfd, v4.12's release keeps it); request is vfio_pci_request(); ioctl models VFIO_DEVICE_SET_IRQS
 * for the request index.
 */
function vfioPciOps(kernel: Kernel): VfioPciOps {
  const pci: VfioPciState = { reqTrigger: null, signals: 0, refcnt: 0 };
  return {
    name: VFIO_PCI,
    pci,
    open: () => {
      pci.refcnt++;
      return 0;
    },
    release: () => {
      pci.refcnt--;
      // vfio_pci_core_close_device() (6.12) drops err_trigger and req_trigger; v4.12's vfio_pci_release() does not.
      if (pci.refcnt === 0 && kernel.version.dmaOwnership) pci.reqTrigger = null;
    },
    /**
     * Models vfio_pci_request(), drivers/vfio/pci/vfio_pci.c (6.12: vfio_pci_core_request()): with a request
     * eventfd, signal it (and say so at every tenth count); without one, warn once, at count 0.
     */
    request: (device, count) => {
      if (pci.reqTrigger !== null) {
        if (count % 10 === 0) {
          kernel.devPrintk(KERN_NOTICE, device.dev, `Relaying device request to user (#${count})`);
        }
        pci.signals++;
      } else if (count === 0) {
        kernel.devPrintk(
          KERN_WARNING,
          device.dev,
          'No device request channel registered, blocked until released by user',
        );
      }
    },
    ioctl: (_device, cmd, arg) => (cmd === VFIO_DEVICE_SET_IRQS ? vfioPciSetIrqs(kernel, pci, arg) : -ENOTTY),
  };
}

/** U32_MAX. */
const U32_MAX = 0xffff_ffff;
const DATA_TYPE_MASK = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD;
const ACTION_TYPE_MASK = VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_ACTION_TRIGGER;

/** A u32 field of the argument (its default when absent); null when it is not one (a bad user pointer). */
function u32(v: unknown, dflt: number | null): number | null {
  if (v === undefined) return dflt;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32_MAX ? v : null;
}

/**
 * Models vfio_pci_ioctl()'s VFIO_DEVICE_SET_IRQS, drivers/vfio/pci/vfio_pci.c (v4.12; 6.12: vfio_pci_core.c), with
 * vfio_set_irqs_validate_and_prepare() (vfio.c), vfio_pci_set_irqs_ioctl() and vfio_pci_set_ctx_trigger_single()
 * (vfio_pci_intrs.c) for the request index: -EFAULT for an argument that is not a VfioIrqSet; -EINVAL for bad flags,
 * an index past VFIO_PCI_NUM_IRQS, a start/count outside the index's one vector or a count of 0 with data; -ENOTTY
 * for an action other than TRIGGER (and for indexes 0-3, which sim does not model); else DATA_EVENTFD sets the
 * request eventfd (-1 clears; below -1: v4.12 ignores it, 6.12 says -EINVAL; an fd open in sim is not an eventfd:
 * -EINVAL), DATA_NONE signals (count 1) or clears (count 0) a set one (-EINVAL when none), DATA_BOOL signals if true.
 */
function vfioPciSetIrqs(kernel: Kernel, pci: VfioPciState, arg: unknown): number {
  if (typeof arg !== 'object' || arg === null) return -EFAULT;
  // copy_from_user(): the fields as plain values (a getter that throws is a bad pointer too).
  let hdr: Partial<Record<keyof VfioIrqSet, unknown>>;
  try {
    const a = arg as Partial<Record<keyof VfioIrqSet, unknown>>;
    hdr = { flags: a.flags, index: a.index, start: a.start, count: a.count, eventfd: a.eventfd, data: a.data };
  } catch {
    return -EFAULT;
  }
  const flags = u32(hdr.flags, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
  const index = u32(hdr.index, null);
  const start = u32(hdr.start, 0);
  const count = u32(hdr.count, 1);
  if (flags === null || index === null || start === null || count === null) return -EFAULT;
  // vfio_set_irqs_validate_and_prepare()
  if (index >= VFIO_PCI_NUM_IRQS || count >= U32_MAX - start || (flags & ~(DATA_TYPE_MASK | ACTION_TYPE_MASK)) !== 0) {
    return -EINVAL;
  }
  // vfio_pci_get_irq_count(): the request index has one vector; INTx, MSI, MSI-X and AER are not modelled.
  if (index !== VFIO_PCI_REQ_IRQ_INDEX) return -ENOTTY;
  const max = 1;
  if (start >= max || start + count > max) return -EINVAL;
  const dataType = flags & DATA_TYPE_MASK;
  let data: number | boolean | null = null;
  if (dataType === VFIO_IRQ_SET_DATA_EVENTFD || dataType === VFIO_IRQ_SET_DATA_BOOL) {
    if (count > 0) {
      // memdup_user() of the data: an s32 eventfd or a u8 bool.
      const v = dataType === VFIO_IRQ_SET_DATA_EVENTFD ? hdr.eventfd : hdr.data;
      const ok =
        dataType === VFIO_IRQ_SET_DATA_EVENTFD
          ? typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31
          : typeof v === 'boolean';
      if (!ok) return -EFAULT;
      data = v as number | boolean;
    }
  } else if (dataType !== VFIO_IRQ_SET_DATA_NONE) {
    return -EINVAL;
  }
  // vfio_pci_set_irqs_ioctl(): the request index takes ACTION_TRIGGER only.
  if ((flags & ACTION_TYPE_MASK) !== VFIO_IRQ_SET_ACTION_TRIGGER) return -ENOTTY;
  // vfio_pci_set_req_trigger() -> vfio_pci_set_ctx_trigger_single()
  if (dataType === VFIO_IRQ_SET_DATA_NONE) {
    if (pci.reqTrigger === null) return -EINVAL;
    if (count > 0) pci.signals++;
    else pci.reqTrigger = null;
    return 0;
  }
  if (count === 0) return -EINVAL;
  if (dataType === VFIO_IRQ_SET_DATA_BOOL) {
    if (data === true && pci.reqTrigger !== null) pci.signals++;
    return 0;
  }
  const fd = data as number;
  if (fd === -1) {
    pci.reqTrigger = null;
    return 0;
  }
  if (fd < -1) return kernel.version.dmaOwnership ? -EINVAL : 0;
  // eventfd_ctx_fdget(): sim has no eventfd(2); an fd that is one of sim's open files is not an eventfd.
  if (kernel.dev.file(fd) !== undefined) return -EINVAL;
  if (pci.reqTrigger !== fd) pci.signals = 0;
  pci.reqTrigger = fd;
  return 0;
}

/**
 * Models vfio_pci_probe(), drivers/vfio/pci/vfio_pci.c: -EINVAL for a bridge (not a normal header) or a device in
 * no IOMMU group; else vfio_add_group_dev(), keeping the IOMMU group reference while bound.
 */
function vfioPciProbe(kernel: Kernel, dev: Device): number {
  if (!isPciDevice(dev) || dev.hdrType !== PCI_HEADER_TYPE_NORMAL) return -EINVAL;
  // 6.12's vfio_pci_core_register_device(): the vfio group holds the IOMMU group; the driver keeps no reference.
  if (kernel.version.dmaOwnership) return vfioAddGroupDev(kernel, dev, vfioPciOps(kernel));
  const group = iommuGroupGet(dev);
  if (group === null) return -EINVAL;
  const ret = vfioAddGroupDev(kernel, dev, vfioPciOps(kernel));
  if (ret !== 0) {
    iommuGroupPut(group);
    return ret;
  }
  return 0;
}

/**
 * Models vfio_pci_remove(), drivers/vfio/pci/vfio_pci.c: vfio_del_group_dev() (which may wait for userspace: then
 * the remove sleeps), then the group reference goes.
 */
function vfioPciRemove(kernel: Kernel, dev: Device): Sleepable<void> | undefined {
  return thenDo(vfioDelGroupDev(kernel, dev), () => {
    if (kernel.version.dmaOwnership) return;
    // vfio_iommu_group_put(pdev->dev.iommu_group): the probe's reference goes.
    iommuGroupPut(deviceIommuGroup(dev));
  });
}

/** `after()` once `r` is done: at once for undefined, else as a sleepable path that ends with it. */
function thenDo(r: Sleepable<void> | undefined, after: () => void): Sleepable<void> | undefined {
  if (r === undefined) {
    after();
    return undefined;
  }
  return (function* () {
    yield* r;
    after();
  })();
}

/** Models vfio_platform_probe() / vfio_platform_probe_common(), drivers/vfio/platform: group, then vfio_add_group_dev(). */
function vfioPlatformProbe(kernel: Kernel, dev: Device): number {
  if (kernel.version.dmaOwnership) {
    return vfioAddGroupDev(kernel, dev, { name: VFIO_PLATFORM, open: () => 0, release: () => {} });
  }
  const group = iommuGroupGet(dev);
  if (group === null) return -EINVAL;
  const ret = vfioAddGroupDev(kernel, dev, { name: VFIO_PLATFORM, open: () => 0, release: () => {} });
  if (ret !== 0) iommuGroupPut(group);
  return ret;
}

/**
 * Models vfio_pci_init()'s pci_register_driver(): vfio-pci with a NULL id table ("only dynamic ids"), so it binds
 * through driver_override + drivers_probe, new_id, or the `ids` option. Returns the register's int.
 */
export function registerVfioPci(st: VfioState): number | null {
  const k = st.kernel;
  const ret = k.registerDriver({
    name: VFIO_PCI,
    bus: 'pci',
    probe: (dev) => vfioPciProbe(k, dev),
    remove: (dev) => vfioPciRemove(k, dev),
    // drivers/vfio/pci/vfio_pci.c:205 (6.12): vfio-pci does not use the DMA API; v4.12 has no such field.
    driverManagedDma: true,
  });
  const drv = k.driver(VFIO_PCI, 'pci');
  if (ret === 0 && drv !== undefined) addVfioBusDriver(st, drv);
  return ret;
}

/** vfio-platform on the platform bus (no id table: driver_override only). */
export function registerVfioPlatform(st: VfioState): number | null {
  const k = st.kernel;
  const ret = k.registerDriver({
    name: VFIO_PLATFORM,
    bus: 'platform',
    probe: (dev) => vfioPlatformProbe(k, dev),
    remove: (dev) =>
      thenDo(vfioDelGroupDev(k, dev), () => {
        if (!k.version.dmaOwnership) iommuGroupPut(deviceIommuGroup(dev));
      }),
    driverManagedDma: true,
  });
  const drv = k.driver(VFIO_PLATFORM, 'platform');
  if (ret === 0 && drv !== undefined) addVfioBusDriver(st, drv);
  return ret;
}

/** Checks that a driver can be registered before the kernel is touched (used by the plugin). */
export function assertNoDriver(kernel: Kernel, name: string, bus: string): void {
  if (kernel.driver(name, bus) !== undefined) {
    throw new SimError(
      'SIM_ERR_VFIO_BAD_OPTION',
      `vfioPlugin(): a driver '${name}' is registered on bus '${bus}' already; vfio registers its own, so remove the other one first`,
    );
  }
}
