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
 * v4.12's bind_store() tests dev->driver before it takes the device's lock, so a bind can pass the test and then
 * take the lock of a device another task has bound in between (a second sysfs writer, a drivers_probe, any other
 * attach). really_probe() sets dev->driver to the late driver anyway:
 * - the device is bound: driver_sysfs_add() finds the first bind's `driver` link (sysfs's duplicate warning,
 *   -EEXIST), or, with the seed's veto, the BIND_DRIVER answer refuses the late bind ("driver_sysfs_add(...)
 *   failed"), and the probe_failed path sets dev->driver to NULL and removes the links, while the first driver keeps
 *   the device on its klist: the device is on a driver's list with no driver and no links;
 * - the device is left mid-unbind (a vfio-pci unbind that waited for userspace and that sim ended with -EDEADLK,
 *   see docs/decisions/2026-12-02-two-lane-family.md): the links are gone, so the late bind links it and probes it,
 *   and driver_bound() finds it still on the first driver's klist ("driver_bound: device ... already bound"): the
 *   device has the late driver and its links but is on the first driver's list.
 * Every v4.12-based profile has it (the seed's flag and the RFC touch neither bind_store() nor really_probe()).
 */
export const BIND_STORE_RACE: KnownRace = {
  name: 'bind_store() tests dev->driver outside the device lock',
  bases: ['4.12'],
  what: "a bind passes the unlocked dev->driver test, then probes a device another task bound meanwhile: driver_sysfs_add() fails (-EEXIST) and probe_failed clears dev->driver and the first bind's links (the device stays on a driver's list, unbound); or, on a device left mid-unbind, driver_bound() finds it on the first driver's list (already bound) and leaves it there with the late driver",
  where:
    'drivers/base/bus.c bind_store(), drivers/base/dd.c driver_sysfs_add(), really_probe() and driver_bound() (v4.12; sim: driverLinksAdd() and driverBound() in packages/core/src/base/dd.ts)',
  fixed:
    'v5.1: bind_store() calls device_driver_attach(), drivers/base/dd.c, which tests dev->driver under the device lock (6.12: __driver_probe_device() returns -EBUSY)',
};

/** Every known race (the two-lane family's exemptions). */
export const KNOWN_RACES: readonly KnownRace[] = [BIND_STORE_RACE];

/** sysfs_warn_dup()'s line for a device's `driver` link: the path under /sys, ending in the device's name. */
const DUPLICATE_DRIVER_LINK = /sysfs: cannot create duplicate filename '(?:[^']*\/)?([^'/]+)\/driver'$/;
/** really_probe()'s error when driver_sysfs_add() fails (a duplicate link, or the seed's veto). */
const SYSFS_ADD_FAILED = /driver_sysfs_add\((\S+)\) failed$/;
/** driver_bound()'s warning for a device still on a driver's klist: v4.12's printk, 6.12's dev_warn(). */
const ALREADY_BOUND = /driver_bound: device (\S+) already bound$/;
const ALREADY_BOUND_DEV = /^\S+ (\S+): driver_bound: device already bound$/;

/**
 * The devices a bind may have reached after another bind (the kernel's messages in dmesg: sysfs's duplicate
 * `driver` link, really_probe()'s "driver_sysfs_add() failed", driver_bound()'s "already bound"). A veto alone
 * prints the second too: only a device in one of the race's shapes (inBindStoreRaceShape()) is the race's victim.
 */
export function bindStoreRaceVictims(k: Kernel): Set<string> {
  const out = new Set<string>();
  for (const line of k.dmesg.lines({ timestamps: false })) {
    const m =
      DUPLICATE_DRIVER_LINK.exec(line) ??
      SYSFS_ADD_FAILED.exec(line) ??
      ALREADY_BOUND.exec(line) ??
      ALREADY_BOUND_DEV.exec(line);
    if (m !== null) out.add(m[1]!);
  }
  return out;
}

/**
 * True when device `name` bears BIND_STORE_RACE's mark: it is on the list of a driver that is not its driver (the
 * first bind's klist kept it while the late bind set or cleared dev->driver). Later operations on such a device
 * change the rest of its state (links, which driver it has), never the mark; a bind a veto refused alone leaves the
 * device on no list.
 */
export function inBindStoreRaceShape(k: Kernel, name: string): boolean {
  const dev = k.device(name);
  if (dev === undefined) return false;
  return k.buses().some((b) => b.drivers().some((d) => d !== dev.driver && d.devices().includes(dev)));
}

/** True when kernel `k` has the known race (its base is one of the race's). */
export function hasRace(k: Kernel, race: KnownRace): boolean {
  return race.bases.includes(k.version.base);
}
