import { type Device, SimError, showValue as show } from '@sim/core';

/**
 * How devices not named in `groups` are grouped (what the IOMMU driver's device_group() decides on a real machine):
 * `'device'` one group per device; `'slot'` one per PCI slot (all functions of dddd:bb:ss); `'bus'` one per PCI bus
 * (dddd:bb); `'none'` no group (the IOMMU driver's add_device() answers -ENODEV, as for a device no IOMMU
 * translates); or a function returning a group label, or null for no group. On buses other than PCI, `'slot'` and
 * `'bus'` mean one group per device.
 */
export type GroupRule = 'device' | 'slot' | 'bus' | 'none' | ((dev: Device) => string | null);

/** A reserved region the IOMMU driver reports for each device (iommu_get_resv_regions()). */
export interface ReservedRegion {
  readonly start: number;
  readonly length: number;
  /** IOMMU_RESV_DIRECT, IOMMU_RESV_RESERVED or IOMMU_RESV_MSI, as the sysfs file names them. */
  readonly type: 'direct' | 'reserved' | 'msi';
}

/** iommuGroupPlugin() options. */
export interface IommuGroupOptions {
  /** Buses whose IOMMU is set up (bus_set_iommu() -> iommu_bus_init()). Default `['pci']`. */
  readonly buses?: readonly string[];
  /**
   * Explicit membership by device name: a number pins the group's id (the allocator never hands that id to
   * another group), a string is a label (devices with the same label share a group whose id the allocator
   * chooses). E.g. `{ '0000:01:00.0': 1, '0000:01:00.1': 1 }`.
   */
  readonly groups?: Readonly<Record<string, number | string>>;
  /** Membership of the other devices. Default `'device'`. */
  readonly rule?: GroupRule;
  /**
   * Regions each device reports; the group's `reserved_regions` file lists their union. Default: the x86 MSI
   * window intel-iommu reports for every device, `0xfee00000` + 1 MiB, type `msi`.
   */
  readonly reservedRegions?: readonly ReservedRegion[];
}

/** Options after checking, with defaults. */
export interface ResolvedOptions {
  readonly buses: readonly string[];
  readonly groups: ReadonlyMap<string, number | string>;
  readonly rule: GroupRule;
  readonly reservedRegions: readonly ReservedRegion[];
}

/** The MSI window of drivers/iommu/intel-iommu.c (IOAPIC_RANGE_START..IOAPIC_RANGE_END). */
export const X86_MSI_REGION: ReservedRegion = { start: 0xfee00000, length: 0x100000, type: 'msi' };

const RULES = ['device', 'slot', 'bus', 'none'];
const MAX_ID = 0x7fffffff;

function bad(message: string): never {
  throw new SimError('SIM_ERR_IOMMU_BAD_OPTION', `iommuGroupPlugin(): ${message}`);
}

/** Checks the options (SIM_ERR_IOMMU_BAD_OPTION naming the value and the fix) and fills in the defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    bad(`options are an object such as { rule: 'slot' }, got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['buses', 'groups', 'rule', 'reservedRegions'].includes(key)) {
      bad(`unknown option ${show(key)}; the options are buses, groups, rule and reservedRegions`);
    }
  }
  const buses = o.buses ?? ['pci'];
  if (!Array.isArray(buses) || buses.some((b) => typeof b !== 'string' || b === '')) {
    bad(`buses must be an array of bus names such as ['pci', 'platform'], got ${show(o.buses)}`);
  }
  if (new Set(buses).size !== buses.length) bad(`buses ${show(buses)} names a bus twice; name each bus once`);
  const groups = new Map<string, number | string>();
  if (o.groups !== undefined) {
    if (typeof o.groups !== 'object' || o.groups === null || Array.isArray(o.groups)) {
      bad(`groups must map device names to a group id or label, such as { '0000:01:00.0': 1 }, got ${show(o.groups)}`);
    }
    for (const [name, g] of Object.entries(o.groups as Record<string, unknown>)) {
      if (typeof g === 'number' && Number.isInteger(g) && g >= 0 && g <= MAX_ID) groups.set(name, g);
      else if (typeof g === 'string' && g !== '') groups.set(name, g);
      else {
        bad(
          `groups[${show(name)}] is ${show(g)}; give a group id (an integer from 0 to ${MAX_ID}) or a non-empty label`,
        );
      }
    }
  }
  const rule = o.rule ?? 'device';
  if (typeof rule !== 'function' && !(typeof rule === 'string' && RULES.includes(rule))) {
    bad(`rule must be 'device', 'slot', 'bus', 'none' or a function (dev) => label | null, got ${show(o.rule)}`);
  }
  const regions = o.reservedRegions ?? [X86_MSI_REGION];
  if (!Array.isArray(regions)) bad(`reservedRegions must be an array, got ${show(o.reservedRegions)}`);
  for (const r of regions as unknown[]) {
    const region = r as Record<string, unknown>;
    if (
      typeof r !== 'object' ||
      r === null ||
      !Number.isSafeInteger(region.start) ||
      (region.start as number) < 0 ||
      !Number.isSafeInteger(region.length) ||
      (region.length as number) < 1 ||
      !Number.isSafeInteger((region.start as number) + (region.length as number)) ||
      !['direct', 'reserved', 'msi'].includes(region.type as string)
    ) {
      bad(
        `reserved region ${show(r)} is not { start, length, type } with start >= 0, length >= 1 and type 'direct', 'reserved' or 'msi'`,
      );
    }
  }
  return {
    buses: [...(buses as string[])],
    groups,
    rule: rule as GroupRule,
    reservedRegions: (regions as ReservedRegion[]).map((r) => ({ start: r.start, length: r.length, type: r.type })),
  };
}
