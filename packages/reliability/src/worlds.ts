import { type DeviceSpec, type DriverSpec, type Kernel, type KernelOptions, PCI_HEADER_TYPE_NORMAL } from '@sim/core';
import { i2cdevPlugin } from '@sim/i2cdev';
import { iommuGroupPlugin, iommuGroups, usesIommuGroups } from '@sim/iommu-group';
import { keystonePlugin } from '@sim/keystone';
import { tceIommuPlugin } from '@sim/tce-iommu';
import { isVfioDriver, VFIO_DRIVER_WHITELIST, vfioPlugin } from '@sim/vfio';

/** A machine to run random operations on: plugins, profiles, devices and drivers it knows. */
export interface World {
  readonly name: string;
  readonly profiles: readonly string[];
  options(profile: string): KernelOptions;
  readonly devices: readonly DeviceSpec[];
  readonly drivers: readonly DriverSpec[];
  /** Whether /dev/vfio exists (the vfio operations make sense). */
  readonly vfio: boolean;
  /**
   * Whether vfio hears of binds (iommu_bus_notifier on PCI, i.e. bus_set_iommu() was called): only then does v4.12
   * BUG, or the RFC veto, on a host bind into a live group. PowerNV never calls bus_set_iommu() in v4.12.
   */
  readonly isolation: boolean;
  /** Devices the sequences pick most (where the invariants are at stake). */
  readonly hot: readonly number[];
}

const GPU: DeviceSpec = {
  bus: 'pci',
  address: '0000:01:00.0',
  vendor: 0x10de,
  device: 0x1b80,
  class: 0x030000,
  parent: '0000:00:01.0',
};
const AUDIO: DeviceSpec = {
  bus: 'pci',
  address: '0000:01:00.1',
  vendor: 0x10de,
  device: 0x10f0,
  class: 0x040300,
  parent: '0000:00:01.0',
};
const ROOT_PORT: DeviceSpec = {
  bus: 'pci',
  address: '0000:00:01.0',
  vendor: 0x8086,
  device: 0x1901,
  class: 0x060400,
  hdrType: 1,
};
const NIC: DeviceSpec = { bus: 'pci', address: '0000:02:00.0', vendor: 0x8086, device: 0x10fb, class: 0x020000 };
const UART: DeviceSpec = { bus: 'platform', name: 'uart', id: 0 };
const CLK: DeviceSpec = { bus: 'platform', name: 'clk' };
const ADAPTER: DeviceSpec = { bus: 'i2c', kind: 'adapter', name: 'SMBus I801', nr: 0 };
const EEPROM: DeviceSpec = { bus: 'i2c', kind: 'client', name: '24c02', adapter: 0, addr: 0x50 };

const COMMON_DRIVERS: DriverSpec[] = [
  { name: 'uart', bus: 'platform', probe: { deferUntil: 'clk' } },
  { name: 'clk', bus: 'platform', probe: 'ok' },
  { name: 'at24', bus: 'i2c', ids: ['24c02'], probe: 'ok' },
];

/** The seed's x86 box: a GPU and its audio function in one IOMMU group behind a root port, vfio and i2c-dev. */
export const X86: World = {
  name: 'x86+vfio',
  profiles: ['v4.12', 'v4.12+bind-veto', 'rfc-2017', 'v6.12'],
  options: (profile) => ({
    profile,
    dynamicDebug: false,
    plugins: [
      iommuGroupPlugin({ groups: { '0000:01:00.0': 1, '0000:01:00.1': 1 } }),
      vfioPlugin({ pciStub: true }),
      i2cdevPlugin(),
    ],
  }),
  devices: [ROOT_PORT, GPU, AUDIO, NIC, UART, CLK, ADAPTER, EEPROM],
  drivers: [
    // drivers/pci/pcie/portdrv.c (6.12): driver_managed_dma.
    { name: 'pcieport', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x1901 }], probe: 'ok', driverManagedDma: true },
    { name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' },
    { name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }], probe: 'ok' },
    { name: 'ixgbe', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10fb }], probe: { errno: -12 } },
    ...COMMON_DRIVERS,
  ],
  vfio: true,
  isolation: true,
  hot: [1, 2],
};

/** A TI Keystone 2 board running from the high alias: keystone's notifier and i2c-dev. */
export const KEYSTONE: World = {
  name: 'keystone',
  profiles: ['v4.12', 'v4.12+bind-veto', 'v6.12'],
  options: (profile) => ({
    profile,
    dynamicDebug: false,
    machine: { compatible: ['ti,k2hk', 'ti,keystone'], model: 'Keystone 2' },
    plugins: [keystonePlugin(), i2cdevPlugin()],
  }),
  devices: [
    UART,
    CLK,
    { bus: 'platform', name: 'keystone-uart', ofNode: { compatible: ['ti,keystone-uart'] } },
    ADAPTER,
    EEPROM,
    { bus: 'i2c', kind: 'adapter', name: 'numbered', nr: 1048575 },
  ],
  drivers: [...COMMON_DRIVERS, { name: 'keystone-uart', bus: 'platform', ofMatch: ['ti,keystone-uart'], probe: 'ok' }],
  vfio: false,
  isolation: false,
  hot: [2, 5],
};

/**
 * A PowerNV box: the TCE IOMMU notifier on PCI, devices with TCE tables, vfio on top. Not on 6.12, where the
 * notifier is gone (tceIommuPlugin() refuses that kernel).
 */
export const POWERNV: World = {
  name: 'powernv',
  profiles: ['v4.12', 'v4.12+bind-veto', 'rfc-2017'],
  options: (profile) => ({
    profile,
    dynamicDebug: false,
    machine: { compatible: ['ibm,powernv'], model: 'PowerNV' },
    plugins: [iommuGroupPlugin({ buses: [] }), tceIommuPlugin({ platform: 'powernv' }), vfioPlugin()],
  }),
  devices: [
    { bus: 'pci', address: '0001:01:00.0', vendor: 0x15b3, device: 0x1013, class: 0x020000, props: { tce: { pe: 1 } } },
    { bus: 'pci', address: '0001:01:00.1', vendor: 0x15b3, device: 0x1013, class: 0x020000, props: { tce: { pe: 1 } } },
    { bus: 'pci', address: '0002:01:00.0', vendor: 0x1000, device: 0x0097, class: 0x010700, props: { tce: { pe: 2 } } },
  ],
  drivers: [
    { name: 'mlx5_core', bus: 'pci', ids: [{ vendor: 0x15b3, device: 0x1013 }], probe: 'ok' },
    { name: 'mpt3sas', bus: 'pci', ids: [{ vendor: 0x1000, device: 0x0097 }], probe: 'defer' },
  ],
  vfio: true,
  isolation: false,
  hot: [0, 1],
};

export const WORLDS: readonly World[] = [X86, KEYSTONE, POWERNV];

/** The device name a spec gets (PCI: its address; platform: name[.id]; i2c: i2c-N or N-00aa). */
export function deviceName(spec: DeviceSpec): string {
  const s = spec as unknown as Record<string, unknown>;
  if (typeof s.address === 'string') return s.address;
  if (s.bus === 'platform') return s.id === undefined ? String(s.name) : `${String(s.name)}.${String(s.id)}`;
  if (s.kind === 'adapter') return `i2c-${String(s.nr)}`;
  if (s.kind === 'client') return `${String(s.adapter)}-${Number(s.addr).toString(16).padStart(4, '0')}`;
  return String(s.name);
}

/**
 * 6.12's isolation invariant, by DMA ownership: no device of a group userspace owns is bound to a driver that uses
 * the DMA API, an owned group counts its one owner, and a group the kernel holds counts its DMA-API drivers. The
 * breaches, as text (none: []).
 */
export function ownershipBreaches(k: Kernel): string[] {
  if (!usesIommuGroups(k) || !k.version.dmaOwnership) return [];
  const out: string[] = [];
  for (const g of iommuGroups(k)) {
    const dma = g.devices().filter((d) => d.driver !== null && !d.driver.driverManagedDma);
    if (g.owner !== null) {
      for (const d of dma) out.push(`${d.name} on ${d.driver!.name} in group ${g.id}, which ${g.owner.name} owns`);
      if (g.ownerCnt !== 1) out.push(`group ${g.id} owned by ${g.owner.name} with owner_cnt ${g.ownerCnt}`);
    } else if (g.ownerCnt !== dma.length) {
      out.push(`group ${g.id}: owner_cnt ${g.ownerCnt}, but ${dma.length} DMA-API drivers are bound in it`);
    }
  }
  return out;
}

/** A device on a driver that makes its IOMMU group not viable for userspace (v4.12's vfio_dev_viable()). */
export function hostBound(k: Kernel, name: string): boolean {
  if (!k.plugins().includes('vfio')) return false;
  const d = k.device(name);
  const drv = d?.driver ?? null;
  if (d === undefined || drv === null || isVfioDriver(k, drv) || VFIO_DRIVER_WHITELIST.includes(drv.name)) return false;
  return !(d.kind === 'pci' && (d as unknown as { hdrType: number }).hdrType !== PCI_HEADER_TYPE_NORMAL);
}
