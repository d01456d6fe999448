import assert from 'node:assert/strict';
import { createKernel, EINVAL, KERN_ERR } from '@sim/core';
import { deviceIommuGroup, iommuGroupPlugin } from '@sim/iommu-group';
import { tceIommuPlugin, tceTable } from '@sim/tce-iommu';

// A PowerNV machine: IOMMU groups come from the TCE tables' table groups, not from a generic IOMMU driver.
const kernel = createKernel({
  machine: { compatible: ['ibm,powernv'], model: 'PowerNV' },
  plugins: [iommuGroupPlugin({ buses: [] }), tceIommuPlugin()],
});
const nic = (address: string, tce: object) => ({
  bus: 'pci' as const,
  address,
  vendor: 0x15b3,
  device: 0x1013,
  props: { tce },
});

// Both functions have a 4 KiB TCE table of PE 1: they join PE 1's IOMMU group.
kernel.addDevice(nic('0000:01:00.0', tceTable({ pe: 1 })));
kernel.addDevice(nic('0000:01:00.1', tceTable({ pe: 1 })));
const group = deviceIommuGroup(kernel.device('0000:01:00.0')!)!;
assert.equal(group.name, 'domain0-pe1');
assert.deepEqual(
  group.devices().map((d) => d.name),
  ['0000:01:00.0', '0000:01:00.1'],
);

// A 64 KiB TCE table on a 4 KiB-page kernel: iommu_add_device() says -EINVAL, device_add() ignores it.
const rec = kernel.trace.record();
assert.equal(kernel.addDevice(nic('0000:02:00.0', tceTable({ pe: 2, pageShift: 16 }))), 0);
rec.stop();
const answer = rec.events.find((e) => e.type === 'chain.block' && e.block === 'tce_iommu_bus_notifier');
assert.equal(answer?.type === 'chain.block' && answer.ret, -EINVAL);
assert.equal(kernel.device('0000:02:00.0')?.iommuGroup, null);
assert.deepEqual(kernel.dmesg.lines({ level: KERN_ERR, timestamps: false }), [
  'iommu_add_device: Invalid IOMMU page size 10000 (1000) on 0000:02:00.0',
]);

// Removal takes the device out of its group.
kernel.removeDevice('0000:01:00.1');
assert.deepEqual(
  group.devices().map((d) => d.name),
  ['0000:01:00.0'],
);
