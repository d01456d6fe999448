import { createKernel, KERN_INFO, type Kernel, type PciDeviceSpec } from '@sim/core';
import {
  findIommuGroup,
  IOMMU_GROUP_NOTIFY_ADD_DEVICE,
  IOMMU_GROUP_NOTIFY_DEL_DEVICE,
  type IommuGroupOptions,
  iommuGroupNotifyName,
  iommuGroupPlugin,
  iommuGroups,
} from '@sim/iommu-group';
import { describe, expect, it } from 'vitest';

const pci = (address: string, extra: Partial<PciDeviceSpec> = {}): PciDeviceSpec => ({
  bus: 'pci',
  address,
  vendor: 0x8086,
  device: 0x1234,
  ...extra,
});

function kernelWith(options: IommuGroupOptions = {}, dynamicDebug = true): Kernel {
  return createKernel({ dynamicDebug, plugins: [iommuGroupPlugin(options)] });
}

/** Group id of each device, by name. */
function membership(k: Kernel): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const dev of k.bus('pci').devices()) out[dev.name] = dev.iommuGroup?.id ?? null;
  return out;
}

const lines = (k: Kernel) => k.dmesg.lines({ timestamps: false });

describe('group ids', () => {
  it('gives the first group id 0 and each new group the lowest free id', () => {
    const k = kernelWith();
    for (const a of ['0000:00:00.0', '0000:00:02.0', '0000:00:03.0']) k.addDevice(pci(a));
    expect(membership(k)).toEqual({ '0000:00:00.0': 0, '0000:00:02.0': 1, '0000:00:03.0': 2 });
    expect(k.sysfs.list('/sys/kernel/iommu_groups')).toEqual(['0', '1', '2']);
  });

  it('reuses the id of a released group (ida_simple_remove on release)', () => {
    const k = kernelWith();
    for (const a of ['0000:00:00.0', '0000:00:02.0', '0000:00:03.0']) k.addDevice(pci(a));
    k.removeDevice('0000:00:02.0');
    expect(k.sysfs.list('/sys/kernel/iommu_groups')).toEqual(['0', '2']);
    expect(lines(k)).toContain('iommu: Releasing group 1');
    k.addDevice(pci('0000:00:04.0'));
    expect(membership(k)['0000:00:04.0']).toBe(1);
    expect(lines(k)).toContain('iommu: Allocated group 1');
  });

  it('pins explicit ids and never hands them to another group', () => {
    const k = kernelWith({ groups: { '0000:01:00.0': 1, '0000:01:00.1': 1 } });
    k.addDevice(pci('0000:00:00.0'));
    k.addDevice(pci('0000:00:02.0'));
    k.addDevice(pci('0000:01:00.0'));
    k.addDevice(pci('0000:01:00.1'));
    expect(membership(k)).toEqual({ '0000:00:00.0': 0, '0000:00:02.0': 2, '0000:01:00.0': 1, '0000:01:00.1': 1 });
  });

  it('puts devices with the same label in one group whose id the allocator picks', () => {
    const k = kernelWith({ groups: { '0000:00:03.0': 'gpu', '0000:00:03.1': 'gpu' } });
    k.addDevice(pci('0000:00:03.0'));
    k.addDevice(pci('0000:00:00.0'));
    k.addDevice(pci('0000:00:03.1'));
    expect(membership(k)).toEqual({ '0000:00:03.0': 0, '0000:00:00.0': 1, '0000:00:03.1': 0 });
  });

  it("groups by the rule: 'slot' shares a slot's functions, 'bus' a whole bus, 'none' gives no group", () => {
    const slot = kernelWith({ rule: 'slot' });
    const bus = kernelWith({ rule: 'bus' });
    const none = kernelWith({ rule: 'none' });
    for (const k of [slot, bus, none]) {
      k.addDevice(pci('0000:00:01.0', { hdrType: 1, class: 0x060400 }));
      k.addDevice(pci('0000:01:00.0', { parent: '0000:00:01.0' }));
      k.addDevice(pci('0000:01:00.1', { parent: '0000:00:01.0' }));
      k.addDevice(pci('0000:01:01.0', { parent: '0000:00:01.0' }));
    }
    expect(membership(slot)).toEqual({ '0000:00:01.0': 0, '0000:01:00.0': 1, '0000:01:00.1': 1, '0000:01:01.0': 2 });
    expect(membership(bus)).toEqual({ '0000:00:01.0': 0, '0000:01:00.0': 1, '0000:01:00.1': 1, '0000:01:01.0': 1 });
    expect(membership(none)).toEqual({
      '0000:00:01.0': null,
      '0000:01:00.0': null,
      '0000:01:00.1': null,
      '0000:01:01.0': null,
    });
    expect(none.sysfs.list('/sys/kernel/iommu_groups')).toEqual([]);
  });

  it('groups by a function rule, which may leave a device out', () => {
    const k = kernelWith({ rule: (dev) => (dev.name.endsWith('.0') ? 'zeroes' : null) });
    k.addDevice(pci('0000:00:01.0'));
    k.addDevice(pci('0000:00:01.1'));
    k.addDevice(pci('0000:00:02.0'));
    expect(membership(k)).toEqual({ '0000:00:01.0': 0, '0000:00:01.1': null, '0000:00:02.0': 0 });
  });
});

describe('sysfs', () => {
  it('links the device to its group and the group to its devices', () => {
    const k = kernelWith({ groups: { '0000:01:00.0': 1, '0000:01:00.1': 1 } });
    k.addDevice(pci('0000:00:01.0', { hdrType: 1 }));
    k.addDevice(pci('0000:01:00.0', { parent: '0000:00:01.0' }));
    k.addDevice(pci('0000:01:00.1', { parent: '0000:00:01.0' }));
    expect(k.sysfs.list('/sys/kernel/iommu_groups/1')).toEqual(['devices', 'reserved_regions']);
    expect(k.sysfs.list('/sys/kernel/iommu_groups/1/devices')).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(k.sysfs.readlink('/sys/bus/pci/devices/0000:01:00.1/iommu_group')).toBe('../../../../kernel/iommu_groups/1');
    expect(k.sysfs.realpath('/sys/kernel/iommu_groups/1/devices/0000:01:00.1')).toBe(
      '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1',
    );
    expect(k.sysfs.realpath('/sys/bus/pci/devices/0000:01:00.0/iommu_group/devices/0000:01:00.1')).toBe(
      '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1',
    );
    expect(k.sysfs.stat('/sys/kernel/iommu_groups/1/reserved_regions')).toEqual({ type: 'file', mode: 0o444 });
  });

  it('shows the union of the reserved regions, by start, in the kernel format', () => {
    const k = kernelWith({
      reservedRegions: [
        { start: 0xfee00000, length: 0x100000, type: 'msi' },
        { start: 0x7f000000, length: 0x1000, type: 'direct' },
      ],
    });
    k.addDevice(pci('0000:00:02.0'));
    expect(k.sysfs.read('/sys/kernel/iommu_groups/0/reserved_regions')).toBe(
      '0x000000007f000000 0x000000007f000fff direct\n0x00000000fee00000 0x00000000feefffff msi\n',
    );
  });

  it("shows x86's MSI window by default", () => {
    const k = kernelWith();
    k.addDevice(pci('0000:00:02.0'));
    expect(k.sysfs.read('/sys/kernel/iommu_groups/0/reserved_regions')).toBe(
      '0x00000000fee00000 0x00000000feefffff msi\n',
    );
  });

  it('removes both links when a device leaves, and the directory when the group is released', () => {
    const k = kernelWith({ rule: 'bus' });
    k.addDevice(pci('0000:00:02.0'));
    k.addDevice(pci('0000:00:03.0'));
    k.removeDevice('0000:00:02.0');
    expect(k.sysfs.list('/sys/kernel/iommu_groups/0/devices')).toEqual(['0000:00:03.0']);
    k.removeDevice('0000:00:03.0');
    expect(k.sysfs.exists('/sys/kernel/iommu_groups/0')).toBe(false);
  });
});

describe('log lines and notifications', () => {
  /** dmesg lines and group-chain calls of the operation, in order. */
  function order(k: Kernel, run: () => void): string[] {
    const rec = k.trace.record();
    run();
    rec.stop();
    const out: string[] = [];
    for (const e of rec.events) {
      if (e.type === 'dmesg' && e.text.startsWith('iommu:')) out.push(e.text);
      if (e.type === 'chain.call' && e.chain.startsWith('iommu_group:')) out.push(`notify ${e.actionName}`);
    }
    return out;
  }

  it('sends ADD_DEVICE after the device is in the group and before "Adding device" (v4.12 order)', () => {
    const k = kernelWith();
    k.addDevice(pci('0000:00:02.0'));
    expect(order(k, () => k.addDevice(pci('0000:00:03.0')))).toEqual([
      'iommu: Allocated group 1',
      'notify IOMMU_GROUP_NOTIFY_ADD_DEVICE',
      'iommu: Adding device 0000:00:03.0 to group 1',
    ]);
    expect(k.dmesg.records().find((r) => r.text.startsWith('iommu: Adding'))?.level).toBe(KERN_INFO);
  });

  it('prints "Removing device" before sending DEL_DEVICE (v4.12 order)', () => {
    const k = kernelWith();
    k.addDevice(pci('0000:00:02.0'));
    expect(order(k, () => k.removeDevice('0000:00:02.0'))).toEqual([
      'iommu: Removing device 0000:00:02.0 from group 0',
      'notify IOMMU_GROUP_NOTIFY_DEL_DEVICE',
      'iommu: Releasing group 0',
    ]);
  });

  it('keeps the pr_debug lines out of the log without dynamic debug', () => {
    const k = kernelWith({}, false);
    k.addDevice(pci('0000:00:02.0'));
    expect(lines(k)).toEqual(['iommu: Adding device 0000:00:02.0 to group 0']);
  });

  it('sees a device in the group from the ADD_DEVICE callback, and gone only after DEL_DEVICE', () => {
    const k = kernelWith({ rule: 'bus' });
    k.addDevice(pci('0000:00:02.0'));
    const group = findIommuGroup(k, 0)!;
    const seen: string[] = [];
    group.notifier.register({
      name: 'watch',
      notifierCall: (action, dev) => {
        seen.push(`${iommuGroupNotifyName(action)} ${dev.name} in=${group.devices().includes(dev)}`);
        return 0;
      },
    });
    k.addDevice(pci('0000:00:03.0'));
    k.removeDevice('0000:00:03.0');
    expect(seen).toEqual([
      'IOMMU_GROUP_NOTIFY_ADD_DEVICE 0000:00:03.0 in=true',
      'IOMMU_GROUP_NOTIFY_DEL_DEVICE 0000:00:03.0 in=true',
    ]);
    expect(IOMMU_GROUP_NOTIFY_ADD_DEVICE).toBe(1);
    expect(IOMMU_GROUP_NOTIFY_DEL_DEVICE).toBe(2);
  });

  it('names each group chain iommu_group:<id> and forgets it when the group is released', () => {
    const k = kernelWith();
    k.addDevice(pci('0000:00:02.0'));
    const group = iommuGroups(k)[0]!;
    expect(group.notifier.name).toBe('iommu_group:0');
    const rec = k.trace.record();
    k.removeDevice('0000:00:02.0');
    const callsBefore = rec.events.filter((e) => e.type === 'chain.call' && e.chain === 'iommu_group:0').length;
    // A released group's chain is no longer observed by the kernel: calling it directly leaves no trace.
    group.notifier.callChain(IOMMU_GROUP_NOTIFY_ADD_DEVICE, k.bus('pci').devices()[0] ?? (null as never));
    const callsAfter = rec.events.filter((e) => e.type === 'chain.call' && e.chain === 'iommu_group:0').length;
    rec.stop();
    expect(callsBefore).toBe(1);
    expect(callsAfter).toBe(1);
    expect(group.released).toBe(true);
  });
});
