import { createKernel } from '@sim/core';
import {
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  vfioGroupIsViable,
  vfioGroups,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import { POWERNV } from '../src/worlds.ts';

/**
 * v4.12's isolation guard (vfio's BUG_ON, and the RFC's veto) lives in vfio_iommu_group_notifier(), which only hears
 * of binds through iommu_bus_notifier(), registered by bus_set_iommu(). No powerpc code calls bus_set_iommu() in
 * v4.12 (git grep of the v4.12 tree: only AMD, Intel, ARM SMMU, Exynos ... do), so on PowerNV a host driver can bind
 * into a group userspace holds, silently, under every profile. The reliability suite therefore checks isolation on
 * the x86 machine only; this test pins the PowerNV behaviour down.
 */
describe('PowerNV: vfio never hears of binds', () => {
  it.each(POWERNV.profiles)(
    '%s: a host driver binds into a group userspace holds, with no BUG and no veto',
    (profile) => {
      const k = createKernel(POWERNV.options(profile));
      for (const d of POWERNV.devices) k.addDevice(d);
      for (const d of POWERNV.drivers) k.registerDriver(d);
      const [a, b] = ['0001:01:00.0', '0001:01:00.1'];
      for (const n of [a, b]) {
        k.sysfs.write('/sys/bus/pci/drivers/mlx5_core/unbind', n);
        k.sysfs.write(`/sys/bus/pci/devices/${n}/driver_override`, 'vfio-pci\n');
        k.sysfs.write('/sys/bus/pci/drivers_probe', n);
      }
      const group = vfioGroups(k)[0]!;
      const c = k.dev.open('/dev/vfio/vfio')!;
      const g = k.dev.open(group.node)!;
      expect([k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c), k.dev.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)]).toEqual([
        0, 0,
      ]);
      expect(k.dev.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, a)).toBeGreaterThan(0);
      // b leaves vfio-pci; with no UNBOUND_DRIVER on the group chain it stays on vfio's unbound list for good ...
      expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/unbind', `${b}\n`)).toBe(13);
      expect(group.unbound().map((d) => d.name)).toEqual([b]);
      // ... and a host driver takes it while userspace holds a.
      k.sysfs.write(`/sys/bus/pci/devices/${b}/driver_override`, '\n');
      expect(k.sysfs.write('/sys/bus/pci/drivers/mlx5_core/bind', `${b}\n`)).toBe(13);
      expect(k.device(b)?.driver?.name).toBe('mlx5_core');
      expect(k.oops).toBeNull();
      expect(vfioGroupIsViable(group)).toBe(true);
    },
  );
});
