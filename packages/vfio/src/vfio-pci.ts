import {
  type Device,
  EINVAL,
  isPciDevice,
  KERN_WARNING,
  type Kernel,
  PCI_HEADER_TYPE_NORMAL,
  SimError,
} from '@sim/core';
import { deviceIommuGroup, iommuGroupGet, iommuGroupPut } from '@sim/iommu-group';
import { addVfioBusDriver, type VfioDeviceOps, type VfioState, vfioAddGroupDev, vfioDelGroupDev } from './vfio.ts';

/** The vfio bus driver for PCI devices. */
export const VFIO_PCI = 'vfio-pci';
/** The vfio bus driver for platform devices. */
export const VFIO_PLATFORM = 'vfio-platform';

/**
 * vfio_pci_ops: open and release succeed (vfio_pci_enable() is not modelled); request is vfio_pci_request(): with
 * no request eventfd registered (sim has none), the first call warns that the task is blocked.
 */
function vfioPciOps(kernel: Kernel): VfioDeviceOps {
  return {
    name: VFIO_PCI,
    open: () => 0,
    release: () => {},
    /** Models vfio_pci_request(), drivers/vfio/pci/vfio_pci.c, with no req_trigger. */
    request: (device, count) => {
      if (count === 0) {
        kernel.devPrintk(
          KERN_WARNING,
          device.dev,
          'No device request channel registered, blocked until released by user',
        );
      }
    },
  };
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

/** Models vfio_pci_remove(), drivers/vfio/pci/vfio_pci.c: vfio_del_group_dev(), then the group reference goes. */
function vfioPciRemove(kernel: Kernel, dev: Device): void {
  vfioDelGroupDev(kernel, dev);
  if (kernel.version.dmaOwnership) return;
  // vfio_iommu_group_put(pdev->dev.iommu_group): the probe's reference goes.
  iommuGroupPut(deviceIommuGroup(dev));
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
    remove: (dev) => {
      vfioDelGroupDev(k, dev);
      if (!k.version.dmaOwnership) iommuGroupPut(deviceIommuGroup(dev));
    },
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
