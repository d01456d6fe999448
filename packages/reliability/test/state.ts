import type { Kernel } from '@sim/core';
import { vfioGroups } from '@sim/vfio';

/** The driver model, /dev, the open files, the IOMMU and vfio groups, the injections: cheap enough for every step. */
export function modelState(k: Kernel): unknown {
  let groups: unknown = null;
  try {
    groups = vfioGroups(k).map((g) => ({
      id: g.iommuGroup.id,
      users: g.containerUsers,
      opened: g.opened,
      devices: g.devices().map((d) => d.name),
      unbound: g.unbound().map((d) => d.name),
    }));
  } catch {
    // no vfio on this kernel
  }
  return {
    devices: k
      .devices()
      .map((d) => [
        d.name,
        d.bus.name,
        d.driver?.name ?? null,
        d.isBound,
        d.isRegistered,
        d.driverOverride,
        d.iommuGroup?.id ?? null,
        d.dmaPfnOffset,
      ]),
    drivers: k
      .buses()
      .flatMap((b) =>
        b.drivers().map((drv) => [b.name, drv.name, drv.devices().map((d) => d.name), drv.dynids().length]),
      ),
    autoprobe: k.buses().map((b) => b.driversAutoprobe),
    notifiers: k.buses().map((b) => b.notifier.blocks().map((nb) => nb.name)),
    dev: k.dev.list(),
    files: k.dev.openFiles(),
    groups,
    injections: k.inject.list(),
  };
}

/** Everything under /sys (names, link targets, readable values), with the model state. */
export function fullState(k: Kernel): unknown {
  const tree: Record<string, string> = {};
  const walk = (path: string, depth: number): void => {
    if (depth > 12) return;
    const entries = k.sysfs.list(path);
    if (typeof entries === 'number') return;
    for (const name of entries) {
      const p = `${path}/${name}`;
      const st = k.sysfs.stat(p);
      if (typeof st === 'number') continue;
      if (st.type === 'link') tree[p] = `-> ${String(k.sysfs.readlink(p))}`;
      else if (st.type === 'dir') {
        tree[p] = 'dir';
        walk(p, depth + 1);
      } else if ((st.mode & 0o444) !== 0) tree[p] = String(k.sysfs.read(p));
      else tree[p] = 'write-only';
    }
  };
  walk('/sys', 0);
  return { model: modelState(k), tree };
}
