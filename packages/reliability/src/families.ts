import { busFamily, type ChainFamily } from './fault-matrix.ts';

/** The profiles every family is run under. */
export const PROFILES = ['v4.12', 'v4.12+bind-veto'] as const;

/** Every chain family of the matrix. */
export function families(): ChainFamily[] {
  return [busFamily('pci', PROFILES), busFamily('platform', PROFILES), busFamily('i2c', PROFILES)];
}

/** The device and driver each bus family uses (for the expectations). */
export const BUS_DEVICES = {
  pci: { name: '0000:01:00.0', driver: 'nouveau' },
  platform: { name: 'serial8250', driver: 'serial8250' },
  i2c: { name: '0-0050', driver: 'at24' },
} as const;
