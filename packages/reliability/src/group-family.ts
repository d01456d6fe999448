import { createKernel, type DeviceSpec, errname, type Kernel, type PciDeviceSpec } from '@sim/core';
import {
  deviceIommuGroup,
  IOMMU_GROUP_NOTIFY_ADD_DEVICE,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_DEL_DEVICE,
  IOMMU_GROUP_NOTIFY_EVENTS,
  iommuGroupNotifyName,
  iommuGroupPlugin,
  iommuGroupRegisterNotifier,
} from '@sim/iommu-group';
import { vfioPlugin } from '@sim/vfio';
import type { ChainFamily } from './fault-matrix.ts';

const GPU: PciDeviceSpec = { bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 };
const AUDIO: DeviceSpec = { bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 };
const HDA = { name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }], probe: 'ok' } as const;

/** The plugins of every cell: the GPU's functions share IOMMU group 1; vfio gives the rfc-2017 profile. */
export const matrixPlugins = () => [
  iommuGroupPlugin({ groups: { '0000:01:00.0': 1, '0000:01:00.1': 1 } }),
  vfioPlugin(),
];

const fmt = (op: string, ret: number | null) =>
  `${op} -> ${ret === null ? 'killed (oops)' : ret < 0 ? `-${errname(ret) ?? -ret}` : String(ret)}`;

/**
 * The IOMMU group chain (group->notifier of drivers/iommu/iommu.c), exercised on the audio function of group 1:
 * ADD_DEVICE and DEL_DEVICE come from iommu_group_add_device() / iommu_group_remove_device(), the driver events
 * from iommu_bus_notifier() translating the bus chain's.
 */
export function groupFamily(profiles: readonly string[]): ChainFamily {
  return {
    chain: 'iommu_group:1',
    title: 'The IOMMU group chain (group->notifier, group 1)',
    actions: IOMMU_GROUP_NOTIFY_EVENTS.map((value) => ({
      value,
      name: iommuGroupNotifyName(value) ?? `action ${value}`,
    })),
    profiles,
    plugins: matrixPlugins,
    device: '0000:01:00.1',
    setup(k: Kernel, action: number) {
      k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
      k.addDevice(GPU);
      k.bus('pci').registerNotifier({ name: 'observer', priority: -100, notifierCall: () => 0 });
      const group = deviceIommuGroup(k.device(GPU.address)!)!;
      iommuGroupRegisterNotifier(group, { name: 'observer', priority: -100, notifierCall: () => 0 });
      if (action !== IOMMU_GROUP_NOTIFY_ADD_DEVICE) {
        k.addDevice(AUDIO);
        k.registerDriver(HDA);
        if (
          action !== IOMMU_GROUP_NOTIFY_BIND_DRIVER &&
          action !== IOMMU_GROUP_NOTIFY_BOUND_DRIVER &&
          action !== IOMMU_GROUP_NOTIFY_DEL_DEVICE
        ) {
          k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', '0000:01:00.1');
        }
      }
      return 'iommu_group:1';
    },
    exercise(k: Kernel, action: number) {
      switch (action) {
        case IOMMU_GROUP_NOTIFY_ADD_DEVICE:
          return fmt('add', k.addDevice(AUDIO));
        case IOMMU_GROUP_NOTIFY_DEL_DEVICE:
          return fmt('remove', k.removeDevice('0000:01:00.1'));
        case IOMMU_GROUP_NOTIFY_BIND_DRIVER:
        case IOMMU_GROUP_NOTIFY_BOUND_DRIVER:
          return fmt('bind', k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', '0000:01:00.1\n'));
        default:
          return fmt('unbind', k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/unbind', '0000:01:00.1\n'));
      }
    },
  };
}

/** The flags of a profile (the plugins declare rfc-2017 and its flags). */
export function profileFlags(profile: string): readonly string[] {
  return createKernel({ profile, plugins: matrixPlugins() }).profile.flags;
}
