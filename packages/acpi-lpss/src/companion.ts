import type { Device } from '@sim/core';
import { badCompanion, show } from './errors.ts';
import type { LpssDeviceDesc, LpssDeviceId } from './tables.ts';

/** What a platform device's `props.acpi` says of its ACPI companion (struct acpi_device). */
export interface AcpiCompanionSpec {
  /** _HID, e.g. 'INT33C2' (the device is then named 'INT33C2:00' by acpi_create_platform_device()). */
  readonly hid: string;
  /** _CID list, matched after the _HID. Default none. */
  readonly cids?: readonly string[];
  /** The size of the device's first memory resource (_CRS), in bytes; absent: the device has none. */
  readonly mmio?: number;
  /** _STA says present. Default true. */
  readonly present?: boolean;
}

/** A checked companion description, with its defaults. */
export interface AcpiCompanion {
  readonly hid: string;
  readonly cids: readonly string[];
  readonly mmio: number | null;
  readonly present: boolean;
}

/** Models struct lpss_private_data: what acpi_lpss_create_device() left as the companion's driver_data. */
export interface LpssPrivateData {
  readonly desc: LpssDeviceDesc;
  /** pdata->mmio_size: prv_size_override when set, else the resource's size. */
  readonly mmioSize: number;
}

const ID = /^[A-Z0-9]{7,8}$/;
const KEYS = ['hid', 'cids', 'mmio', 'present'];

function problem(spec: unknown): string | null {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return `an ACPI companion is { hid, cids?, mmio?, present? }, got ${show(spec)}`;
  }
  for (const key of Object.keys(spec)) {
    if (!KEYS.includes(key)) return `unknown field ${show(key)}; known fields: ${KEYS.join(', ')}`;
  }
  const s = spec as AcpiCompanionSpec;
  if (typeof s.hid !== 'string' || !ID.test(s.hid)) {
    return `hid is an ACPI or PNP id of 7 or 8 capitals and digits such as 'INT33C2' or '80860F0A', got ${show(s.hid)}`;
  }
  if (s.cids !== undefined && (!Array.isArray(s.cids) || !s.cids.every((c) => typeof c === 'string' && ID.test(c)))) {
    return `cids is a list of ACPI or PNP ids such as ['INT33C3'], got ${show(s.cids)}`;
  }
  if (s.mmio !== undefined && !(Number.isSafeInteger(s.mmio) && s.mmio > 0 && s.mmio <= 0xffffffff)) {
    return `mmio is the size of the memory resource in bytes, an integer in [1, 0xffffffff] such as 0x1000, got ${show(s.mmio)}`;
  }
  if (s.present !== undefined && typeof s.present !== 'boolean') {
    return `present is a boolean, got ${show(s.present)}`;
  }
  return null;
}

/**
 * Checks an ACPI companion description for a platform device's `props.acpi` (a SimError naming the field and the
 * fix) and returns it with its defaults, frozen:
 * `addDevice({ bus: 'platform', name: 'INT33C2:00', props: { acpi: acpiCompanion({ hid: 'INT33C2', mmio: 0x1000 }) } })`.
 */
export function acpiCompanion(spec: AcpiCompanionSpec): AcpiCompanion {
  const why = problem(spec);
  if (why !== null) throw badCompanion(`acpiCompanion(): ${why}`);
  return Object.freeze({
    hid: spec.hid,
    cids: Object.freeze([...(spec.cids ?? [])]),
    mmio: spec.mmio ?? null,
    present: spec.present ?? true,
  });
}

/**
 * Models ACPI_COMPANION(dev), include/linux/acpi.h: the device's companion from `props.acpi`, or null. A
 * description that is not one is reported to `onBad` and read as no companion.
 */
export function acpiCompanionOf(dev: Device, onBad: (why: string) => void): AcpiCompanion | null {
  const value = dev.props.acpi;
  if (value === undefined || value === null) return null;
  const why = problem(value);
  if (why !== null) {
    onBad(why);
    return null;
  }
  return acpiCompanion(value as AcpiCompanionSpec);
}

/**
 * Models __acpi_match_device(), drivers/acpi/bus.c (acpi_match_device() through acpi_companion_match()): each of
 * the companion's ids in turn (_HID, then the _CIDs) against the table; nothing for a companion not present.
 */
export function acpiMatchDevice(ids: readonly LpssDeviceId[], adev: AcpiCompanion | null): LpssDeviceId | null {
  if (adev === null || !adev.present) return null;
  for (const hwid of [adev.hid, ...adev.cids]) {
    const id = ids.find((i) => i.id === hwid);
    if (id !== undefined) return id;
  }
  return null;
}

/**
 * Models what acpi_lpss_create_device(), drivers/acpi/acpi_lpss.c, leaves as the companion's driver_data: private
 * data for an id with a description and a memory resource (without one it returns -ENOMEM and keeps none).
 */
export function lpssPrivateData(id: LpssDeviceId, adev: AcpiCompanion): LpssPrivateData | null {
  if (id.desc === null || adev.mmio === null) return null;
  return { desc: id.desc, mmioSize: id.desc.prvSizeOverride !== 0 ? id.desc.prvSizeOverride : adev.mmio };
}
