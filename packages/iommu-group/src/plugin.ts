import { type Kernel, type Plugin, SimError } from '@sim/core';
import { PERCOLATE, PERCOLATE_FLAG } from './constants.ts';
import { createState, dismantle, dropState, IOMMU_GROUPS_DIR } from './iommu.ts';
import { iommuBusInit } from './iommu-bus.ts';
import { type IommuGroupOptions, resolveOptions } from './options.ts';

/** The plugin's name (what other plugins list in `dependencies`). */
export const IOMMU_GROUP_PLUGIN = 'iommu-group';

/**
 * The IOMMU group layer of drivers/iommu/iommu.c with a generic IOMMU driver: setup is iommu_init() (the
 * /sys/kernel/iommu_groups kset) and bus_set_iommu() on each bus of `options.buses` (iommu_bus_notifier, and the
 * devices already present put in their groups). Declares the flag `percolate`.
 */
export function iommuGroupPlugin(options: IommuGroupOptions = {}): Plugin {
  const opts = resolveOptions(options);
  return {
    name: IOMMU_GROUP_PLUGIN,
    flags: [PERCOLATE_FLAG],
    setup(kernel: Kernel) {
      const known = kernel.buses().map((b) => b.name);
      for (const name of opts.buses) {
        if (!known.includes(name)) {
          throw new SimError(
            'SIM_ERR_IOMMU_BAD_OPTION',
            `iommuGroupPlugin(): bus ${JSON.stringify(name)} is not registered; known buses: ${known.join(', ')} (register a bus of your own with kernel.busRegister() before using the plugin)`,
          );
        }
      }
      const st = createState(kernel, opts, kernel.hasFlag(PERCOLATE));
      const undos: (() => void)[] = [];
      try {
        kernel.sysfs.createDir(IOMMU_GROUPS_DIR);
        for (const name of opts.buses) {
          const { ret, unregister } = iommuBusInit(st, kernel.bus(name));
          if (ret === 0) undos.push(unregister);
        }
      } catch (e) {
        // The kernel undoes what the setup registered through its API; the devices' group pointers and this
        // package's state are ours to undo.
        dismantle(st);
        dropState(kernel);
        throw e;
      }
      return () => {
        for (const undo of undos.reverse()) undo();
        dismantle(st);
        kernel.sysfs.remove(IOMMU_GROUPS_DIR);
        dropState(kernel);
      };
    },
  };
}
