import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  createKernel,
  type Device,
  EBUSY,
  EEXIST,
  EFAULT,
  type Kernel,
  NOTIFY_OK,
  SimError,
} from '@sim/core';
import {
  deviceIommuGroup,
  findIommuGroup,
  IOMMU_GROUP_NOTIFY_ADD_DEVICE,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_DEL_DEVICE,
  IOMMU_GROUP_NOTIFY_EVENTS,
  IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
  iommuGroupAddDevice,
  iommuGroupAlloc,
  iommuGroupForEachDev,
  iommuGroupGet,
  iommuGroupGetById,
  iommuGroupId,
  iommuGroupNotifyName,
  iommuGroupPlugin,
  iommuGroupPut,
  iommuGroupRefGet,
  iommuGroupRegisterNotifier,
  iommuGroupRemoveDevice,
  iommuGroupSetName,
  iommuGroups,
  iommuGroupUnregisterNotifier,
  PERCOLATE,
  usesIommuGroups,
} from '@sim/iommu-group';
import { describe, expect, it } from 'vitest';

/** A kernel where groups come only from the API, as with powerpc's TCE IOMMU. */
function apiKernel(): Kernel {
  return createKernel({ plugins: [iommuGroupPlugin({ rule: 'none' })] });
}

function addDev(k: Kernel, address: string): Device {
  k.addDevice({ bus: 'pci', address, vendor: 0x1014, device: 0x03dc });
  return k.device(address)!;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (SimError.isInstance(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('constants', () => {
  it('has the IOMMU_GROUP_NOTIFY_* values of include/linux/iommu.h', () => {
    expect([
      IOMMU_GROUP_NOTIFY_ADD_DEVICE,
      IOMMU_GROUP_NOTIFY_DEL_DEVICE,
      IOMMU_GROUP_NOTIFY_BIND_DRIVER,
      IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
      IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
      IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
    ]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(IOMMU_GROUP_NOTIFY_EVENTS.map(iommuGroupNotifyName)).toEqual([
      'IOMMU_GROUP_NOTIFY_ADD_DEVICE',
      'IOMMU_GROUP_NOTIFY_DEL_DEVICE',
      'IOMMU_GROUP_NOTIFY_BIND_DRIVER',
      'IOMMU_GROUP_NOTIFY_BOUND_DRIVER',
      'IOMMU_GROUP_NOTIFY_UNBIND_DRIVER',
      'IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER',
    ]);
    expect(iommuGroupNotifyName(7)).toBeUndefined();
  });

  it('declares the percolate flag and knows it on the kernel', () => {
    const k = createKernel({ profile: { flags: [PERCOLATE] }, plugins: [iommuGroupPlugin()] });
    expect(k.hasFlag(PERCOLATE)).toBe(true);
    expect(k.knownFlags().find((f) => f.name === PERCOLATE)?.where).toBe('drivers/iommu/iommu.c iommu_bus_notifier()');
  });
});

describe('the kernel API, as another IOMMU driver uses it', () => {
  it('allocates a group, adds and removes devices, and releases it with its last reference', () => {
    const k = apiKernel();
    const a = addDev(k, '0001:00:00.0');
    const b = addDev(k, '0001:00:01.0');
    const group = iommuGroupAlloc(k);
    expect(iommuGroupId(group)).toBe(0);
    expect(group.refcount).toBe(1);
    expect(iommuGroupAddDevice(group, a)).toBe(0);
    expect(iommuGroupAddDevice(group, b)).toBe(0);
    expect(group.refcount).toBe(3);
    iommuGroupPut(group); // the allocation's reference; the devices keep the group
    expect(group.released).toBe(false);
    expect(deviceIommuGroup(a)).toBe(group);
    const seen: number[] = [];
    iommuGroupForEachDev(group, (dev) => {
      seen.push(dev === a ? 1 : 2);
      return 0;
    });
    expect(seen).toEqual([1, 2]);
    iommuGroupRemoveDevice(a);
    iommuGroupRemoveDevice(b);
    expect(group.released).toBe(true);
    expect(iommuGroups(k)).toEqual([]);
    expect(k.sysfs.exists('/sys/kernel/iommu_groups/0')).toBe(false);
  });

  it('stops for_each_dev at the first non-zero return', () => {
    const k = apiKernel();
    const group = iommuGroupAlloc(k);
    for (const a of ['0001:00:00.0', '0001:00:01.0', '0001:00:02.0']) iommuGroupAddDevice(group, addDev(k, a));
    let calls = 0;
    expect(
      iommuGroupForEachDev(group, () => {
        calls++;
        return calls === 2 ? -22 : 0;
      }),
    ).toBe(-22);
    expect(calls).toBe(2);
  });

  it('refuses a device already in a group with -EEXIST, the sysfs warning and the kernel error line', () => {
    const k = apiKernel();
    const dev = addDev(k, '0001:00:00.0');
    const g1 = iommuGroupAlloc(k);
    const g2 = iommuGroupAlloc(k);
    expect(iommuGroupAddDevice(g1, dev)).toBe(0);
    expect(iommuGroupAddDevice(g2, dev)).toBe(-EEXIST);
    const log = k.dmesg.lines({ timestamps: false });
    expect(log).toContain("sysfs: cannot create duplicate filename '/devices/pci0001:00/0001:00:00.0/iommu_group'");
    expect(log.at(-1)).toBe('iommu: Failed to add device 0001:00:00.0 to group 1: -17');
    expect(deviceIommuGroup(dev)).toBe(g1);
    expect(g2.devices()).toEqual([]);
    expect(g2.refcount).toBe(1);
  });

  it('lets a TCE-like notifier answer -EBUSY for a device that already has a group', () => {
    const k = apiKernel();
    const group = iommuGroupAlloc(k);
    const answers: number[] = [];
    k.bus('pci').registerNotifier({
      name: 'tce_iommu_bus_notifier',
      notifierCall: (action, dev) => {
        if (action !== BUS_NOTIFY_ADD_DEVICE || dev === null) return 0;
        // iommu_add_device(): a device with a group is skipped with -EBUSY.
        const ret = dev.iommuGroup !== null ? -EBUSY : iommuGroupAddDevice(group, dev);
        answers.push(ret);
        return ret;
      },
    });
    addDev(k, '0001:00:00.0');
    expect(answers).toEqual([0]);
    expect(
      findIommuGroup(k, 0)!
        .devices()
        .map((d) => d.name),
    ).toEqual(['0001:00:00.0']);
  });

  it('renames a clashing devices/ link <dev>.0 without a warning', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin({ buses: ['pci', 'platform'], rule: 'none' })] });
    // Two devices called "foo" on two buses, in one group.
    k.addDevice({ bus: 'platform', name: 'foo' });
    k.busRegister({ name: 'other' });
    k.addDevice({ bus: 'other', name: 'foo' });
    const group = iommuGroupAlloc(k);
    expect(iommuGroupAddDevice(group, k.device('foo', 'platform')!)).toBe(0);
    expect(iommuGroupAddDevice(group, k.device('foo', 'other')!)).toBe(0);
    expect(k.sysfs.list('/sys/kernel/iommu_groups/0/devices')).toEqual(['foo', 'foo.0']);
    expect(k.dmesg.lines({ timestamps: false }).some((l) => l.includes('duplicate'))).toBe(false);
    iommuGroupRemoveDevice(k.device('foo', 'other')!);
    expect(k.sysfs.list('/sys/kernel/iommu_groups/0/devices')).toEqual(['foo']);
  });

  it('refuses a device that is not in sysfs with -EFAULT (its kobject has no directory)', () => {
    const k = apiKernel();
    const dev = addDev(k, '0001:00:00.0');
    k.removeDevice('0001:00:00.0');
    const group = iommuGroupAlloc(k);
    expect(iommuGroupAddDevice(group, dev)).toBe(-EFAULT);
    expect(k.dmesg.lines({ timestamps: false }).at(-1)).toBe(
      'iommu: Failed to add device 0001:00:00.0 to group 0: -14',
    );
  });

  it('counts references: get, ref_get, get_by_id, put', () => {
    const k = apiKernel();
    const dev = addDev(k, '0001:00:00.0');
    const group = iommuGroupAlloc(k);
    iommuGroupAddDevice(group, dev);
    iommuGroupPut(group);
    expect(iommuGroupGet(dev)).toBe(group);
    expect(iommuGroupRefGet(group)).toBe(group);
    expect(iommuGroupGetById(k, 0)).toBe(group);
    expect(iommuGroupGetById(k, 7)).toBeNull();
    expect(group.refcount).toBe(4);
    for (let i = 0; i < 3; i++) iommuGroupPut(group);
    iommuGroupPut(null);
    expect(group.refcount).toBe(1);
    iommuGroupRemoveDevice(dev);
    expect(group.released).toBe(true);
    expect(iommuGroupGet(dev)).toBeNull();
  });

  it('sets and clears the name file', () => {
    const k = apiKernel();
    const group = iommuGroupAlloc(k);
    expect(iommuGroupSetName(group, 'domain0-pe1')).toBe(0);
    expect(k.sysfs.read('/sys/kernel/iommu_groups/0/name')).toBe('domain0-pe1\n');
    expect(iommuGroupSetName(group, 'domain0-pe2')).toBe(0);
    expect(k.sysfs.read('/sys/kernel/iommu_groups/0/name')).toBe('domain0-pe2\n');
    expect(iommuGroupSetName(group, null)).toBe(0);
    expect(k.sysfs.exists('/sys/kernel/iommu_groups/0/name')).toBe(false);
    expect(group.name).toBeNull();
  });

  it('registers and unregisters group notifiers; a BIND on the bus reaches them', () => {
    const k = apiKernel();
    const dev = addDev(k, '0001:00:00.0');
    const group = iommuGroupAlloc(k);
    iommuGroupAddDevice(group, dev);
    const seen: number[] = [];
    const nb = {
      name: 'mine',
      notifierCall: (action: number) => {
        seen.push(action);
        return NOTIFY_OK;
      },
    };
    const reg = iommuGroupRegisterNotifier(group, nb);
    expect(reg.ret).toBe(0);
    k.registerDriver({ name: 'ipr', bus: 'pci', ids: [{ vendor: 0x1014, device: 0x03dc }] });
    expect(iommuGroupUnregisterNotifier(group, nb)).toBe(0);
    expect(iommuGroupUnregisterNotifier(group, nb)).toBe(-2);
    k.unregisterDriver('ipr', 'pci');
    expect(seen).toEqual([IOMMU_GROUP_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BOUND_DRIVER]);
  });

  it('lets a DEL_DEVICE bus notifier take the device out before REMOVED_DEVICE looks', () => {
    const k = apiKernel();
    const group = iommuGroupAlloc(k);
    k.bus('pci').registerNotifier({
      name: 'tce_iommu_bus_notifier',
      notifierCall: (action, dev) => {
        if (action === BUS_NOTIFY_ADD_DEVICE && dev !== null) return iommuGroupAddDevice(group, dev);
        if (action === BUS_NOTIFY_DEL_DEVICE && dev?.iommuGroup) iommuGroupRemoveDevice(dev);
        return 0;
      },
    });
    addDev(k, '0001:00:00.0');
    k.removeDevice('0001:00:00.0');
    expect(k.dmesg.lines({ timestamps: false }).filter((l) => l.startsWith('iommu:'))).toEqual([
      'iommu: Allocated group 0',
      'iommu: Adding device 0001:00:00.0 to group 0',
      'iommu: Removing device 0001:00:00.0 from group 0',
    ]);
  });
});

describe('misuse', () => {
  it('SIM_ERR_IOMMU_NOT_IN_USE on a kernel without the plugin', () => {
    const k = createKernel();
    expect(usesIommuGroups(k)).toBe(false);
    expect(code(() => iommuGroupAlloc(k))).toBe('SIM_ERR_IOMMU_NOT_IN_USE');
    expect(code(() => iommuGroups(k))).toBe('SIM_ERR_IOMMU_NOT_IN_USE');
    expect(() => iommuGroupAlloc(k)).toThrow(/iommuGroupPlugin\(\)/);
  });

  it('SIM_ERR_IOMMU_BAD_ARGUMENT for things that are not groups or devices, state unchanged', () => {
    const k = apiKernel();
    const dev = addDev(k, '0001:00:00.0');
    const group = iommuGroupAlloc(k);
    expect(code(() => iommuGroupAddDevice({ id: 0 } as never, dev))).toBe('SIM_ERR_IOMMU_BAD_ARGUMENT');
    expect(code(() => iommuGroupAddDevice(group, { name: 'x' } as never))).toBe('SIM_ERR_IOMMU_BAD_ARGUMENT');
    expect(code(() => iommuGroupGet(null as never))).toBe('SIM_ERR_IOMMU_BAD_ARGUMENT');
    expect(code(() => iommuGroupSetName(group, 5 as never))).toBe('SIM_ERR_IOMMU_BAD_ARGUMENT');
    expect(group.refcount).toBe(1);
    expect(dev.iommuGroup).toBeNull();
  });

  it('SIM_ERR_IOMMU_BAD_ARGUMENT for removing a device in no group (v4.12 dereferences NULL)', () => {
    const k = apiKernel();
    const dev = addDev(k, '0001:00:00.0');
    expect(() => iommuGroupRemoveDevice(dev)).toThrow(/is in no IOMMU group/);
  });

  it('SIM_ERR_IOMMU_GROUP_RELEASED for a group used after its release', () => {
    const k = apiKernel();
    const group = iommuGroupAlloc(k);
    iommuGroupPut(group);
    expect(group.released).toBe(true);
    expect(code(() => iommuGroupPut(group))).toBe('SIM_ERR_IOMMU_GROUP_RELEASED');
    expect(code(() => iommuGroupAddDevice(group, addDev(k, '0001:00:00.0')))).toBe('SIM_ERR_IOMMU_GROUP_RELEASED');
    expect(code(() => iommuGroupRegisterNotifier(group, { name: 'x', notifierCall: () => 0 }))).toBe(
      'SIM_ERR_IOMMU_GROUP_RELEASED',
    );
  });

  it('SIM_ERR_IOMMU_BAD_OPTION in the factory, naming the value and the fix', () => {
    const bad: unknown[] = [
      5,
      { rule: 'pe' },
      { buses: 'pci' },
      { buses: ['pci', 'pci'] },
      { groups: { '0000:01:00.0': -1 } },
      { groups: { '0000:01:00.0': '' } },
      { groups: [] },
      { reservedRegions: [{ start: 0, length: 0, type: 'msi' }] },
      { reservedRegions: [{ start: 0, length: 1, type: 'sw_msi' }] },
      { reservedRegions: 'msi' },
      { colour: 'blue' },
    ];
    for (const options of bad) expect(code(() => iommuGroupPlugin(options as never))).toBe('SIM_ERR_IOMMU_BAD_OPTION');
    expect(() => iommuGroupPlugin({ rule: 'pe' as never })).toThrow(/rule must be 'device', 'slot', 'bus', 'none'/);
  });

  it('SIM_ERR_IOMMU_BAD_OPTION for a rule function that returns something other than a label or null', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin({ rule: () => 7 as never })] });
    // The rule runs inside device_add(): the misuse becomes an oops of that operation, as a kernel bug would.
    expect(k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 1, device: 2 })).toBeNull();
    expect(k.oops?.message).toMatch(/SIM_ERR_IOMMU_BAD_OPTION: .*returned 7/);
  });

  it('an unknown bus at use() is a SimError that leaves the kernel as it was, so a fixed retry works', () => {
    // This failed before the core fix: the plugin stayed listed as in use and its flag learned.
    const k = createKernel();
    expect(code(() => k.use(iommuGroupPlugin({ buses: ['usb'] })))).toBe('SIM_ERR_IOMMU_BAD_OPTION');
    expect(() => k.use(iommuGroupPlugin({ buses: ['usb'] }))).toThrow(
      /bus "usb" is not registered; known buses: platform, pci, i2c/,
    );
    expect(k.plugins()).toEqual([]);
    expect(k.knownFlags().map((f) => f.name)).not.toContain(PERCOLATE);
    expect(k.sysfs.exists('/sys/kernel/iommu_groups')).toBe(false);
    k.use(iommuGroupPlugin());
    expect(k.plugins()).toEqual(['iommu-group']);
  });
});

describe('a failed setup', () => {
  it('leaves the kernel and the devices as they were: no groups, no state, no notifier', () => {
    const k = createKernel();
    k.addDevice({ bus: 'pci', address: '0000:00:01.0', vendor: 0x8086, device: 0x1234 });
    k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x1234 });
    const plugin = iommuGroupPlugin({
      rule: (dev) => {
        if (dev.name === '0000:00:02.0') throw new Error('rule broke');
        return 'all';
      },
    });
    expect(() => k.use(plugin)).toThrow('rule broke');
    expect(k.devices().map((d) => d.iommuGroup)).toEqual([null, null]);
    expect(usesIommuGroups(k)).toBe(false);
    expect(k.sysfs.exists('/sys/kernel/iommu_groups')).toBe(false);
    expect(k.sysfs.exists('/sys/bus/pci/devices/0000:00:01.0/iommu_group')).toBe(false);
    expect(k.bus('pci').notifier.blocks()).toEqual([]);
    expect(k.chains()).toEqual(['platform', 'pci', 'i2c']);
    expect(k.plugins()).toEqual([]);
  });
});
