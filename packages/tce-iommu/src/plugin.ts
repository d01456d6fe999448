import { BUS_NOTIFY_ADD_DEVICE, type Device, type Kernel, type Plugin } from '@sim/core';
import { IOMMU_GROUP_PLUGIN, type IommuGroup } from '@sim/iommu-group';
import { badOption, show } from './errors.ts';
import { type TceState, tceIommuBusNotifierInit } from './iommu.ts';

/** The plugin's name. */
export const TCE_IOMMU_PLUGIN = 'tce-iommu';

/** The powerpc platforms whose machine_subsys_initcall_sync() calls tce_iommu_bus_notifier_init(). */
export type TcePlatform = 'powernv' | 'pseries';

/** tceIommuPlugin() options. */
export interface TceIommuOptions {
  /**
   * Which platform the kernel booted as. `'auto'` (default): PowerNV when `kernel.machine.compatible` has
   * `ibm,powernv` (pnv_probe()), else none, and nothing is registered. `'powernv'` or `'pseries'`: that platform
   * whatever the machine says (pSeries is probed by the device tree's device_type "chrp", which sim's machine
   * does not describe).
   */
  readonly platform?: 'auto' | TcePlatform;
  /** The kernel's PAGE_SHIFT: 12 (4 KiB pages, the default, as sim's sysfs) or 16 (CONFIG_PPC_64K_PAGES). */
  readonly pageShift?: 12 | 16;
}

/** What the plugin did on one kernel. */
export interface TceIommuState {
  /** The platform that registered the notifier, or null (not a powerpc platform that has it). */
  readonly platform: TcePlatform | null;
  readonly registered: boolean;
  readonly pageShift: number;
  /** The PE table groups registered so far: `domain<phb>-pe<pe>` and their IOMMU groups. */
  readonly tableGroups: readonly { readonly name: string; readonly group: IommuGroup }[];
}

const OPTION_KEYS = ['platform', 'pageShift'];

/**
 * Why the plugin does not run on 6.12: the notifier it models is gone (arch/powerpc/kernel/iommu.c of 6.12.118 has
 * only fail_iommu_bus_notify on the PCI bus; platforms call iommu_add_device() from their DMA set-up).
 */
export const TCE_IOMMU_GONE =
  'tce_iommu_bus_notifier() is gone: v4.20 ("powerpc/powernv/pseries: Rework device adding to IOMMU groups", c4e9d3c1e65a) stopped it handling BUS_NOTIFY_ADD_DEVICE, and "powerpc/iommu: Remove iommu_del_device()" (Jason Gunthorpe, May 2023; v6.4 or v6.5, inferred) removed the bus notifiers; 6.12\'s PowerNV and pSeries DMA set-up calls iommu_add_device() -> iommu_probe_device() directly (arch/powerpc/kernel/iommu.c:1122), so its errno reaches no notifier chain';

/**
 * powerpc's TCE IOMMU bus notifier (CONFIG_IOMMU_API), as v4.12 has it: on a PowerNV or pSeries kernel it is
 * registered on the PCI bus; BUS_NOTIFY_ADD_DEVICE answers iommu_add_device(dev) raw (0, -ENOENT, -EBUSY, -EINVAL,
 * or iommu_group_add_device()'s error) and BUS_NOTIFY_DEL_DEVICE takes the device out of its IOMMU group.
 * Devices describe their TCE table in `props.tce` (see tceTable()). Depends on @sim/iommu-group.
 */
export function tceIommuPlugin(options: TceIommuOptions = {}): Plugin & {
  /** What the plugin did on a kernel it was set up on, or undefined. */
  state(kernel: Kernel): TceIommuState | undefined;
} {
  const { platform, pageShift } = checkOptions(options);
  const states = new WeakMap<Kernel, { st: TceState; platform: TcePlatform | null }>();
  return {
    name: TCE_IOMMU_PLUGIN,
    dependencies: [IOMMU_GROUP_PLUGIN],
    unsupported: { '6.12': TCE_IOMMU_GONE },
    setup(kernel) {
      const st: TceState = { kernel, pageShift, tableGroups: new Map() };
      const booted =
        platform !== 'auto' ? platform : kernel.machine.compatible.includes('ibm,powernv') ? 'powernv' : null;
      states.set(kernel, { st, platform: booted });
      // machine_subsys_initcall_sync(powernv|pseries, tce_iommu_bus_notifier_init): only on that machine.
      return booted === null
        ? undefined
        : kernel.withFrame('tce_iommu_bus_notifier_init', () => tceIommuBusNotifierInit(st));
    },
    exercise(kernel) {
      const entry = states.get(kernel);
      if (entry === undefined || entry.platform === null) return;
      exercise(kernel, entry.st);
    },
    state(kernel) {
      const entry = states.get(kernel);
      if (entry === undefined) return undefined;
      return {
        platform: entry.platform,
        registered: entry.platform !== null,
        pageShift: entry.st.pageShift,
        tableGroups: [...entry.st.tableGroups.values()]
          .filter((g) => !g.released)
          .map((group) => ({ name: group.name ?? '', group })),
      };
    },
  };
}

/**
 * The notifier's answers other than 0, each the way v4.12 can give it: -EINVAL through device_add() for a device
 * whose TCE table has pages larger than the kernel's; -EBUSY for ADD_DEVICE of a device that is already in its
 * group, and -ENOENT for ADD_DEVICE of a device no longer in sysfs (both sent by the exercise itself: platform code
 * reaches iommu_add_device() that way, the driver core never does).
 */
function exercise(kernel: Kernel, st: TceState): void {
  const big = st.pageShift === 12 ? 16 : 24;
  const spec = (fn: number, tce: object) => ({
    bus: 'pci' as const,
    address: `0000:7f:00.${fn}`,
    vendor: 0x15b3,
    device: 0x1013,
    props: { tce },
  });
  kernel.addDevice(spec(0, { pe: 0x7f0, pageShift: big }));
  if (kernel.addDevice(spec(1, { pe: 0x7f1 })) !== 0) return;
  const dev = kernel.device('0000:7f:00.1', 'pci') as Device;
  const pci = kernel.bus('pci').notifier;
  kernel.callChain(pci, BUS_NOTIFY_ADD_DEVICE, dev, 'tce-iommu exercise');
  if (kernel.removeDevice('0000:7f:00.1', 'pci') !== 0) return;
  kernel.callChain(pci, BUS_NOTIFY_ADD_DEVICE, dev, 'tce-iommu exercise');
}

function checkOptions(options: unknown): { platform: 'auto' | TcePlatform; pageShift: number } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw badOption(`tceIommuPlugin() takes an options object such as { platform: 'powernv' }, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw badOption(`tceIommuPlugin(): unknown option ${show(key)}; known options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  const o = options as TceIommuOptions;
  const platform = o.platform ?? 'auto';
  if (!['auto', 'powernv', 'pseries'].includes(platform)) {
    throw badOption(
      `tceIommuPlugin({ platform }) is 'auto' (read kernel.machine), 'powernv' or 'pseries', got ${show(o.platform)}`,
    );
  }
  const pageShift = o.pageShift ?? 12;
  if (pageShift !== 12 && pageShift !== 16) {
    throw badOption(
      `tceIommuPlugin({ pageShift }) is the kernel's PAGE_SHIFT, 12 (4 KiB pages) or 16 (64 KiB pages), got ${show(o.pageShift)}`,
    );
  }
  return { platform, pageShift };
}
