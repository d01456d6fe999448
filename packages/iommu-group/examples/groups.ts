import assert from 'node:assert/strict';
import { createKernel } from '@sim/core';
import { findIommuGroup, iommuGroupNotifyName, iommuGroupPlugin } from '@sim/iommu-group';

// A GPU and its HDMI audio function share group 1 (an explicit id); every other device gets a group of its own.
const kernel = createKernel({
  plugins: [iommuGroupPlugin({ groups: { '0000:01:00.0': 1, '0000:01:00.1': 1 }, rule: 'device' })],
});
kernel.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x5912 });
kernel.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80 });
kernel.addDevice({ bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0 });

assert.deepEqual(kernel.sysfs.list('/sys/kernel/iommu_groups'), ['0', '1']);
assert.deepEqual(kernel.sysfs.list('/sys/kernel/iommu_groups/1/devices'), ['0000:01:00.0', '0000:01:00.1']);
assert.equal(kernel.sysfs.readlink('/sys/bus/pci/devices/0000:00:02.0/iommu_group'), '../../../kernel/iommu_groups/0');

// Driver events of the bus reach the group's chain, renumbered: BUS_NOTIFY_BIND_DRIVER (4) arrives as
// IOMMU_GROUP_NOTIFY_BIND_DRIVER (3).
const seen: string[] = [];
findIommuGroup(kernel, 1)?.notifier.register({
  name: 'watch',
  notifierCall: (action, dev) => {
    seen.push(`${iommuGroupNotifyName(action)} ${dev.name}`);
    return 0;
  },
});
kernel.registerDriver({ name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }] });
assert.deepEqual(seen, ['IOMMU_GROUP_NOTIFY_BIND_DRIVER 0000:01:00.1', 'IOMMU_GROUP_NOTIFY_BOUND_DRIVER 0000:01:00.1']);
