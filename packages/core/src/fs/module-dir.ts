/**
 * /sys/module: a directory per loaded module, made from the registered drivers (sim loads every driver as the
 * module of its name, as `modprobe` would). Tools test it before loading a driver: driverctl's set-override runs
 * `modprobe` unless /sys/module/<driver> is a directory.
 */
import type { BusImpl } from '../base/bus.ts';
import { attr, type KernfsNode, link, StaticDir, ViewDir } from './kernfs.ts';

/** The module name of a driver: KBUILD_MODNAME, the object's name with '-' made '_' (scripts/Makefile.lib). */
export function moduleName(driver: string): string {
  return driver.replaceAll('-', '_');
}

/**
 * Models the module kobjects of kernel/params.c and module_add_driver(), drivers/base/module.c: /sys/module/<mod>
 * with `initstate` ("live") and `drivers/<bus>:<driver>` links to the drivers the module registered. Entries
 * made with sysfs_create_dir() under /sys/module are kept beside them.
 */
export function moduleDir(buses: () => Iterable<BusImpl>): ViewDir {
  const byModule = (): Map<string, { bus: string; driver: string }[]> => {
    const out = new Map<string, { bus: string; driver: string }[]>();
    for (const b of buses()) {
      for (const name of b.driversByName.keys()) {
        const mod = moduleName(name);
        const list = out.get(mod) ?? [];
        list.push({ bus: b.name, driver: name });
        out.set(mod, list);
      }
    }
    return out;
  };
  const one = (drivers: { bus: string; driver: string }[]): ViewDir =>
    new ViewDir(
      () => ({
        initstate: attr(0o444, () => 'live\n'),
        drivers: new ViewDir(() => {
          const own: Record<string, KernfsNode> = {};
          for (const d of drivers) own[`${d.bus}:${d.driver}`] = link(`/sys/bus/${d.bus}/drivers/${d.driver}`);
          return own;
        }, null),
      }),
      null,
    );
  return new ViewDir(
    () => ({}),
    { extra: new StaticDir() },
    {
      lookup: (name) => {
        const drivers = byModule().get(name);
        return drivers === undefined ? undefined : one(drivers);
      },
      list: () => [...byModule().keys()],
    },
  );
}
