import { ACPI_LPSS_PM_DOMAIN, acpiLpssPlugin, pmDomainOf } from '@sim/acpi-lpss';
import { BUS_NOTIFY_ADD_DEVICE, busNotifyName, ENOMEM } from '@sim/core';
import { busFamily, type ChainFamily } from './fault-matrix.ts';
import { groupFamily, matrixPlugins } from './group-family.ts';

/** The profiles every bus family is run under. */
export const PROFILES = ['v4.12', 'v4.12+bind-veto', 'rfc-2017', 'v6.12'] as const;

/** The profiles of the IOMMU group chain: 6.12 has none (removed in v5.19). */
export const GROUP_PROFILES = ['v4.12', 'v4.12+bind-veto', 'rfc-2017'] as const;

/** Every chain family of the matrix (the IOMMU and vfio plugins are in use in every cell). */
export function families(): ChainFamily[] {
  return [
    busFamily('pci', PROFILES, matrixPlugins),
    busFamily('platform', PROFILES, () => [...matrixPlugins(), acpiLpssPlugin()], LPSS_DEVICE, {
      title: 'The platform bus chain (bus->p->bus_notifier), with acpi-lpss and an Intel LPSS device',
      // acpi_lpss_platform_notify's own answer: sysfs_create_group()'s raw errno when kernfs cannot allocate the
      // group's directory (as failslab would make it).
      extra: [
        {
          action: { value: BUS_NOTIFY_ADD_DEVICE, name: busNotifyName(BUS_NOTIFY_ADD_DEVICE)! },
          fault: {
            label: LPSS_OWN_ANSWER,
            inject: (k) => void k.inject.sysfs({ name: 'lpss_ltr', errno: -ENOMEM, times: 1 }),
          },
        },
      ],
      pmDomain: (k) => {
        const dev = k.device(LPSS_DEVICE.name, 'platform');
        return dev === undefined ? null : pmDomainOf(dev);
      },
    }),
    busFamily('i2c', PROFILES, matrixPlugins),
    groupFamily(GROUP_PROFILES),
  ];
}

/** The label of the platform rows where acpi_lpss_platform_notify itself answers (a sysfs fault). */
export const LPSS_OWN_ANSWER = 'acpi-lpss: sysfs_create_group() -ENOMEM';

/** The platform family's device: a Lynxpoint LPSS I2C controller (INT33C2 has LPSS_LTR) and its driver. */
export const LPSS_DEVICE = {
  device: { bus: 'platform', name: 'INT33C2:00', props: { acpi: { hid: 'INT33C2', mmio: 0x1000 } } },
  name: 'INT33C2:00',
  driver: { name: 'i2c_designware', bus: 'platform', ids: ['INT33C2:00'], probe: 'ok' },
} as const;

export { ACPI_LPSS_PM_DOMAIN };

/** The device and driver each bus family uses (for the expectations). */
export const BUS_DEVICES = {
  pci: { bus: 'pci', name: '0000:01:00.0', driver: 'nouveau' },
  platform: { bus: 'platform', name: 'INT33C2:00', driver: 'i2c_designware' },
  i2c: { bus: 'i2c', name: '0-0050', driver: 'at24' },
} as const;
