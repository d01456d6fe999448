import type { Kernel, Plugin } from '@sim/core';
import { IOMMU_GROUP_PLUGIN } from '@sim/iommu-group';
import { RFC_2017_PROFILE, VETO_BIND, VETO_BIND_FLAG } from './constants.ts';
import { resolveVfioOptions, type VfioOptions } from './options.ts';
import { addModuleIds } from './pci-ids.ts';
import { PCI_STUB, registerPciStub } from './pci-stub.ts';
import { createVfioState, dropVfioState, vfioInit } from './vfio.ts';
import { assertNoDriver, registerVfioPci, registerVfioPlatform, VFIO_PCI, VFIO_PLATFORM } from './vfio-pci.ts';

/** The plugin's name. */
export const VFIO_PLUGIN = 'vfio';

/**
 * vfio as Linux v4.12 has it: vfio_init() (/dev/vfio/vfio and the version line), vfio_iommu_type1, and the vfio-pci
 * driver (optionally pci-stub and vfio-platform). Depends on iommuGroupPlugin(). Declares the flag `vetoBind` and
 * the profile `rfc-2017`.
 */
export function vfioPlugin(options: VfioOptions = {}): Plugin {
  const opts = resolveVfioOptions(options);
  return {
    name: VFIO_PLUGIN,
    dependencies: [IOMMU_GROUP_PLUGIN],
    flags: [VETO_BIND_FLAG],
    profiles: [RFC_2017_PROFILE],
    setup(kernel: Kernel) {
      assertNoDriver(kernel, VFIO_PCI, 'pci');
      if (opts.pciStub !== false) assertNoDriver(kernel, PCI_STUB, 'pci');
      if (opts.platform) assertNoDriver(kernel, VFIO_PLATFORM, 'platform');
      const st = createVfioState(kernel, kernel.hasFlag(VETO_BIND));
      const undoInit = vfioInit(st);
      registerVfioPci(st);
      if (opts.ids !== null) addModuleIds(kernel, VFIO_PCI, opts.ids);
      if (opts.pciStub !== false) {
        registerPciStub(kernel);
        if (opts.pciStub.ids !== null) addModuleIds(kernel, PCI_STUB, opts.pciStub.ids);
      }
      if (opts.platform) registerVfioPlatform(st);
      // close() forbids operations before teardowns run, so the drivers stay; the nodes and state go.
      return () => {
        undoInit();
        dropVfioState(kernel);
      };
    },
  };
}
