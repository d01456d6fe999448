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
    busFamily('platform', PROFILES, matrixPlugins),
    busFamily('i2c', PROFILES, matrixPlugins),
    groupFamily(GROUP_PROFILES),
  ];
}

/** The device and driver each bus family uses (for the expectations). */
export const BUS_DEVICES = {
  pci: { bus: 'pci', name: '0000:01:00.0', driver: 'nouveau' },
  platform: { bus: 'platform', name: 'serial8250', driver: 'serial8250' },
  i2c: { bus: 'i2c', name: '0-0050', driver: 'at24' },
} as const;
