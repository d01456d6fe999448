import type { Kernel } from '@sim/core';

/** A race the kernel itself loses: where it is, which bases have it, what fixed it. */
export interface KnownRace {
  readonly name: string;
  /** The sim bases (Kernel.version.base) whose kernel has the race. */
  readonly bases: readonly string[];
  /** What goes wrong, from the source. */
  readonly what: string;
  /** The kernel source read (file, function, version). */
  readonly where: string;
  /** Where it was fixed, and how. */
  readonly fixed: string;
}

/**
 * v4.12's bind_store() tests dev->driver before it takes the device's lock, so two binds of one device (two sysfs
 * writers, or a bind racing a drivers_probe or any other attach) can both get past the test. The second to take the
 * lock finds the first's `driver` link in driver_sysfs_add() (sysfs's duplicate warning, -EEXIST), and really_probe()'s
 * probe_failed path sets dev->driver to NULL and removes the links while the first driver keeps the device on its
 * klist: the device is on a driver's list with no driver and no links. Every v4.12-based profile has it (the seed's
 * flag and the RFC touch neither bind_store() nor driver_sysfs_add()).
 */
export const BIND_STORE_RACE: KnownRace = {
  name: 'bind_store() tests dev->driver outside the device lock',
  bases: ['4.12'],
  what: "two binds of one device pass the unlocked dev->driver test; the second fails in driver_sysfs_add() (-EEXIST) and its probe_failed path clears dev->driver and the first bind's links: the device stays on a driver's list, unbound",
  where:
    'drivers/base/bus.c bind_store(), drivers/base/dd.c driver_sysfs_add() and really_probe() (v4.12; sim models the second writer in driverLinksAdd(), packages/core/src/base/dd.ts)',
  fixed:
    'v5.1: bind_store() calls device_driver_attach(), drivers/base/dd.c, which tests dev->driver under the device lock (6.12: __driver_probe_device() returns -EBUSY)',
};

/** Every known race (the two-lane family's exemptions). */
export const KNOWN_RACES: readonly KnownRace[] = [BIND_STORE_RACE];

/** sysfs_warn_dup()'s line for a device's `driver` link: the path under /sys, ending in the device's name. */
const DUPLICATE_DRIVER_LINK = /sysfs: cannot create duplicate filename '(?:[^']*\/)?([^'/]+)\/driver'$/;

/**
 * The devices whose `driver` link a second bind found (sysfs's duplicate warning in dmesg): on a kernel with
 * BIND_STORE_RACE, the devices the race left; on one without it (6.12 refuses the second bind with -EBUSY under the
 * lock) there must be none.
 */
export function bindStoreRaceVictims(k: Kernel): Set<string> {
  const out = new Set<string>();
  for (const line of k.dmesg.lines({ timestamps: false })) {
    const m = DUPLICATE_DRIVER_LINK.exec(line);
    if (m !== null) out.add(m[1]!);
  }
  return out;
}

/** True when kernel `k` has the known race (its base is one of the race's). */
export function hasRace(k: Kernel, race: KnownRace): boolean {
  return race.bases.includes(k.version.base);
}
