import { BUS_NOTIFY_V4_12, BUS_NOTIFY_V6_12, type BusNotifyTable } from '../constants/bus-notify.ts';

/**
 * The kernel releases sim models, each a "base" a profile builds on: `'4.12'` (the seed's base, v4.12.0) and
 * `'6.12'` (Linux 6.12 LTS, read from 6.12.118). See docs/decisions/2026-12-02-profiles-base-and-flags.md.
 */
export type KernelBase = '4.12' | '6.12';

/** The bases, oldest first. */
export const KERNEL_BASES: readonly KernelBase[] = ['4.12', '6.12'];

/** One thing a later release changed, where sim follows it, and in which release it came. */
export interface VersionChange {
  /** What changed, in one line. */
  readonly what: string;
  /** The first release with it (marked "inferred" where no tag was checked). */
  readonly release: string;
  /** The kernel file and function of 6.12 where it is. */
  readonly where: string;
}

/**
 * What one base kernel does where v4.12 and 6.12 differ: the one place sim asks. Kernel code (core and plugins)
 * reads these facts from `kernel.version` rather than comparing release strings.
 */
export interface KernelVersion {
  readonly base: KernelBase;
  /** UTS_RELEASE, as an oops banner prints it: `4.12.0`, `6.12.118`. */
  readonly release: string;
  /** The BUS_NOTIFY_* numbering (0-based from v6.3). */
  readonly busEvents: BusNotifyTable;
  /**
   * bus_notify() (v6.3) returns nothing: no caller in drivers/base can see a bus notifier's answer, which can only
   * stop the later blocks of the chain. In v4.12 each caller gets the answer (and ignores it).
   */
  readonly busNotifyVoid: boolean;
  /** The IOMMU group notifier chain (iommu_group_register_notifier()) exists; removed in v5.19. */
  readonly iommuGroupChain: boolean;
  /**
   * DMA ownership (v5.19): the bus's dma_configure() takes the IOMMU group's default domain for a driver that is not
   * `driver_managed_dma` (-EBUSY in a group userspace owns), and vfio claims the group at VFIO_GROUP_SET_CONTAINER.
   */
  readonly dmaOwnership: boolean;
  /**
   * The sysfs `bind` file returns the probe's own errno, -EAGAIN for a deferral and -EBUSY for a bound device
   * (v5.14); v4.12 returns -ENODEV for all of them.
   */
  readonly bindErrno: boolean;
  /**
   * really_probe()'s line for a failed probe: v4.12's pr_warn "<drv>: probe of <dev> failed with error <n>", or
   * v6.10's dev_err "<drv> <dev>: probe with driver <drv> failed with error <n>".
   */
  readonly probeFailure: 'pr_warn' | 'dev_err';
  /**
   * What notifier_chain_register() does with a block that is on the chain already: v4.12 links it again (no check;
   * the list is corrupted), v5.17 on WARNs "notifier callback %ps already registered" and returns -EEXIST.
   */
  readonly duplicateRegistration: 'relink' | 'refuse';
  /** What changed since v4.12, for the README's table and `sim list`. */
  readonly changes: readonly VersionChange[];
}

/** Linux v4.12.0 as released: the seed's base. */
export const LINUX_4_12: KernelVersion = Object.freeze({
  base: '4.12',
  release: '4.12.0',
  busEvents: BUS_NOTIFY_V4_12,
  busNotifyVoid: false,
  iommuGroupChain: true,
  dmaOwnership: false,
  bindErrno: false,
  probeFailure: 'pr_warn',
  duplicateRegistration: 'relink',
  changes: Object.freeze([]),
} as const satisfies KernelVersion);

/** Linux 6.12 LTS (read from 6.12.118, Debian's linux-source-6.12; /work/shared/reference/modern-kernel.md). */
export const LINUX_6_12: KernelVersion = Object.freeze({
  base: '6.12',
  release: '6.12.118',
  busEvents: BUS_NOTIFY_V6_12,
  busNotifyVoid: true,
  iommuGroupChain: false,
  dmaOwnership: true,
  bindErrno: true,
  probeFailure: 'dev_err',
  duplicateRegistration: 'refuse',
  changes: Object.freeze([
    {
      what: 'sysfs bind returns the probe errno, -EAGAIN for a deferral, -EBUSY for a bound device',
      release: 'v5.14',
      where: 'drivers/base/dd.c device_driver_attach(), drivers/base/bus.c bind_store()',
    },
    {
      what: 'a block registered twice: WARN "notifier callback %ps already registered", -EEXIST, chain unchanged',
      release: 'v5.17 (inferred)',
      where: 'kernel/notifier.c notifier_chain_register()',
    },
    {
      what: "DMA ownership: dma_configure() takes the group's default domain (driver_managed_dma exempts), vfio claims the group; the IOMMU group notifier chain and vfio's BUG_ON are gone",
      release: 'v5.19',
      where: 'drivers/iommu/iommu.c iommu_device_use_default_domain(), drivers/pci/pci-driver.c pci_dma_configure()',
    },
    {
      what: 'BUS_NOTIFY_* renumbered from 0; bus_notify() returns nothing',
      release: 'v6.3 (inferred)',
      where: 'include/linux/device/bus.h, drivers/base/bus.c bus_notify()',
    },
    {
      what: 'a failed probe prints dev_err "probe with driver %s failed with error %d"',
      release: 'v6.10 (inferred)',
      where: 'drivers/base/dd.c call_driver_probe()',
    },
  ]),
} as const satisfies KernelVersion);

/** What a bus notifier's answer does from v6.3 on, as the trace and the audit say it. */
export const BUS_NOTIFY_VOID_EFFECT =
  'bus_notify() returns nothing: the answer can only stop the later blocks of the chain';

/** The version of a base. */
export function kernelVersion(base: KernelBase): KernelVersion {
  return base === '6.12' ? LINUX_6_12 : LINUX_4_12;
}

/** True for a base sim models. */
export function isKernelBase(base: unknown): base is KernelBase {
  return base === '4.12' || base === '6.12';
}
