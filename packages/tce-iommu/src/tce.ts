import { type Device, isPciDevice } from '@sim/core';
import { badTable, show } from './errors.ts';

/**
 * The TCE table a device has, as `props.tce` of its device spec describes it (struct iommu_table behind
 * get_iommu_table_base(dev), with its table group). A device without `props.tce` has no table.
 */
export interface TceTableSpec {
  /** The partitionable endpoint (PE) number whose table group the table is linked to. */
  readonly pe: number;
  /** The PHB (pci_domain_nr, hose->global_number) of the PE; default (or null) the device's PCI domain (0 off PCI). */
  readonly phb?: number | null;
  /** it_page_shift: log2 of the IOMMU page size. Default 12 (4 KiB); 16 is 64 KiB, 24 is 16 MiB. */
  readonly pageShift?: number;
  /** The table is on a table group (it_group_list not empty). Default true; false gives "with no group". */
  readonly linked?: boolean;
}

/** A TCE table description after checking, with defaults. */
export interface TceTable {
  readonly pe: number;
  readonly phb: number | null;
  readonly pageShift: number;
  readonly linked: boolean;
}

const KEYS = ['pe', 'phb', 'pageShift', 'linked'];
/** The IOMMU page sizes a TCE table can have, as shifts: 4 KiB .. 1 TiB. */
const MIN_SHIFT = 12;
const MAX_SHIFT = 40;
const MAX_NUMBER = 0x7fffffff;

/** Why a description is not a TCE table, or null when it is one. */
function problem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `a TCE table is described as { pe, phb?, pageShift?, linked? }, got ${show(value)}`;
  }
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) return `unknown field ${show(key)}; the fields are ${KEYS.join(', ')}`;
  }
  const t = value as TceTableSpec;
  if (!Number.isInteger(t.pe) || t.pe < 0 || t.pe > MAX_NUMBER) {
    return `pe must be a PE number, an integer in [0, ${MAX_NUMBER}], got ${show(t.pe)}`;
  }
  if (t.phb !== undefined && t.phb !== null && (!Number.isInteger(t.phb) || t.phb < 0 || t.phb > 0xffff)) {
    return `phb must be a PCI domain number, an integer in [0, 65535], got ${show(t.phb)}`;
  }
  if (
    t.pageShift !== undefined &&
    (!Number.isInteger(t.pageShift) || t.pageShift < MIN_SHIFT || t.pageShift > MAX_SHIFT)
  ) {
    return `pageShift is log2 of the IOMMU page size, an integer in [${MIN_SHIFT}, ${MAX_SHIFT}] (12: 4 KiB, 16: 64 KiB, 24: 16 MiB), got ${show(t.pageShift)}`;
  }
  if (t.linked !== undefined && typeof t.linked !== 'boolean') return `linked must be a boolean, got ${show(t.linked)}`;
  return null;
}

/**
 * Checks a TCE table description for `props.tce` (a SimError naming the field and the fix) and returns it with its
 * defaults, frozen: `addDevice({ bus: 'pci', ..., props: { tce: tceTable({ pe: 2 }) } })`.
 */
export function tceTable(spec: TceTableSpec): TceTable {
  const why = problem(spec);
  if (why !== null) throw badTable(`tceTable(): ${why}`);
  return Object.freeze({
    pe: spec.pe,
    phb: spec.phb ?? null,
    pageShift: spec.pageShift ?? MIN_SHIFT,
    linked: spec.linked ?? true,
  });
}

/**
 * Models get_iommu_table_base(dev), arch/powerpc/include/asm/iommu.h: the device's table from `props.tce`, or
 * null. A description that is not a table is reported to `onBad` (the kernel warns) and read as no table.
 */
export function getIommuTableBase(dev: Device, onBad: (why: string) => void): TceTable | null {
  const value = dev.props.tce;
  if (value === undefined || value === null) return null;
  const why = problem(value);
  if (why !== null) {
    onBad(why);
    return null;
  }
  const t = tceTable(value as TceTableSpec);
  return t.phb === null ? { ...t, phb: isPciDevice(dev) ? dev.domain : 0 } : t;
}
