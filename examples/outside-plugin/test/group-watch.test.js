import { createKernel, SimError } from '@sim/core';
import { iommuGroupPlugin } from '@sim/iommu-group';
import { describe, expect, it } from 'vitest';
import groupWatch, { pluginName } from '../index.js';

/** A kernel with IOMMU groups and the plugin, one NIC in group `group` bound to e1000e by autoprobe. */
function boot(profile, group = 1) {
  const kernel = createKernel({
    profile,
    plugins: [iommuGroupPlugin({ groups: { '0000:03:00.0': group } }), groupWatch({ group: 1 })],
  });
  kernel.registerDriver({ name: 'e1000e', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10d3 }] });
  kernel.addDevice({ bus: 'pci', address: '0000:03:00.0', vendor: 0x8086, device: 0x10d3 });
  return kernel;
}

const watched = (kernel) => kernel.dmesg.lines({ timestamps: false }).filter((line) => line.startsWith('group-watch:'));

describe('group-watch', () => {
  it('logs the events of the group it watches (v4.12)', () => {
    const kernel = boot('v4.12');
    expect(kernel.device('0000:03:00.0')?.driver?.name).toBe('e1000e');
    expect(watched(kernel)).toEqual([
      'group-watch: watching group 1',
      'group-watch: group 1: IOMMU_GROUP_NOTIFY_BIND_DRIVER 0000:03:00.0',
      'group-watch: group 1: IOMMU_GROUP_NOTIFY_BOUND_DRIVER 0000:03:00.0',
    ]);
    kernel.close();
  });

  it('hears nothing from another group', () => {
    expect(watched(boot('v4.12', 2))).toEqual([]);
  });

  it('says so on 6.12, whose IOMMU groups have no notifier chain', () => {
    expect(watched(boot('v6.12'))).toEqual(['group-watch: group 1 has no notifier chain on 6.12']);
  });

  it('requires its option: the factory refuses a missing or bad group', () => {
    expect(pluginName).toBe('group-watch');
    expect(() => groupWatch({})).toThrow(/options.group must be the id of an IOMMU group/);
    expect(() => groupWatch({ group: -1 })).toThrow(TypeError);
  });

  it('needs @sim/iommu-group first, as core checks', () => {
    expect(() => createKernel({ plugins: [groupWatch({ group: 1 })] })).toThrow(SimError);
  });
});

// The test docs/adding-a-plugin.md shows.
it('logs the events of the group it watches', () => {
  const kernel = createKernel({ plugins: [iommuGroupPlugin(), groupWatch({ group: 0 })] });
  kernel.registerDriver({ name: 'e1000e', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10d3 }] });
  kernel.addDevice({ bus: 'pci', address: '0000:03:00.0', vendor: 0x8086, device: 0x10d3 });
  expect(kernel.dmesg.lines({ timestamps: false })).toContain('group-watch: watching group 0');
});
