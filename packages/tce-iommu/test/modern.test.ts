import { createKernel, SimError } from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
import { TCE_IOMMU_GONE, tceIommuPlugin } from '@sim/tce-iommu';
import { describe, expect, it } from 'vitest';

describe('tce-iommu on 6.12', () => {
  it('is refused: the notifier it models is gone, and the message says what changed and in which release', () => {
    let e: unknown;
    try {
      createKernel({
        profile: 'v6.12',
        machine: { compatible: ['ibm,powernv'] },
        plugins: [iommuGroupPlugin({ rule: 'none' }), tceIommuPlugin()],
      });
    } catch (err) {
      e = err;
    }
    expect(SimError.isInstance(e) && e.code).toBe('SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL');
    expect(String(e)).toContain("plugin 'tce-iommu' does not run on Linux 6.12");
    expect(TCE_IOMMU_GONE).toContain('v4.20');
    expect(TCE_IOMMU_GONE).toContain('Remove iommu_del_device()');
    // The same plugin object still works on v4.12.
    const k = createKernel({
      machine: { compatible: ['ibm,powernv'] },
      plugins: [iommuGroupPlugin({ rule: 'none' }), tceIommuPlugin()],
    });
    expect(k.plugins()).toEqual(['iommu-group', 'tce-iommu']);
  });
});
