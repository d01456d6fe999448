import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_DEL_DEVICE,
  createKernel,
  type Device,
  EBUSY,
  EEXIST,
  EINVAL,
  ENOENT,
  KERN_DEBUG,
  KERN_ERR,
  KERN_INFO,
  KERN_WARNING,
  type Kernel,
  NOTIFY_OK,
  type PciDeviceSpec,
  SimError,
} from '@sim/core';
import { deviceIommuGroup, findIommuGroup, iommuGroupPlugin, iommuGroups } from '@sim/iommu-group';
import {
  TCE_ERROR_CODES,
  TCE_IOMMU_NOTIFIER_NAME,
  type TceIommuOptions,
  tceIommuPlugin,
  tceTable,
} from '@sim/tce-iommu';
import { describe, expect, it } from 'vitest';

const POWERNV = { compatible: ['ibm,powernv'], model: 'IBM PowerNV (emulated by qemu)' };

function powernv(options: TceIommuOptions = {}, iommu = iommuGroupPlugin({ buses: [] })): Kernel {
  return createKernel({ machine: POWERNV, plugins: [iommu, tceIommuPlugin(options)] });
}

function pci(address: string, tce?: unknown): PciDeviceSpec {
  return {
    bus: 'pci',
    address,
    vendor: 0x15b3,
    device: 0x1013,
    ...(tce === undefined ? {} : { props: { tce } }),
  };
}

function lines(kernel: Kernel, level: number): string[] {
  return kernel.dmesg.records().flatMap((r) => (r.level === level ? [r.text] : []));
}

/** The tce block's answers during `fn`. */
function answers(kernel: Kernel, fn: () => void): number[] {
  const rec = kernel.trace.record();
  fn();
  rec.stop();
  return rec.events.flatMap((e) => (e.type === 'chain.block' && e.block === TCE_IOMMU_NOTIFIER_NAME ? [e.ret] : []));
}

function pciBlocks(kernel: Kernel): string[] {
  return kernel
    .bus('pci')
    .notifier.blocks()
    .map((b) => b.name);
}

describe('registration (machine_subsys_initcall_sync(powernv|pseries, tce_iommu_bus_notifier_init))', () => {
  it('registers on a PowerNV machine (platform auto)', () => {
    const plugin = tceIommuPlugin();
    const kernel = createKernel({ machine: POWERNV, plugins: [iommuGroupPlugin({ buses: [] }), plugin] });
    expect(pciBlocks(kernel)).toEqual([TCE_IOMMU_NOTIFIER_NAME]);
    expect(plugin.state(kernel)).toMatchObject({ platform: 'powernv', registered: true, pageShift: 12 });
  });

  it('does not register on another machine (platform auto)', () => {
    const plugin = tceIommuPlugin();
    const kernel = createKernel({ plugins: [iommuGroupPlugin({ buses: [] }), plugin] });
    expect(pciBlocks(kernel)).toEqual([]);
    expect(plugin.state(kernel)).toMatchObject({ platform: null, registered: false });
    expect(kernel.addDevice(pci('0000:01:00.0', { pe: 1 }))).toBe(0);
    expect(kernel.device('0000:01:00.0')!.iommuGroup).toBeNull();
  });

  it.each(['powernv', 'pseries'] as const)('platform %s registers whatever the machine says', (platform) => {
    const plugin = tceIommuPlugin({ platform });
    const kernel = createKernel({ plugins: [iommuGroupPlugin({ buses: [] }), plugin] });
    expect(pciBlocks(kernel)).toEqual([TCE_IOMMU_NOTIFIER_NAME]);
    expect(plugin.state(kernel)?.platform).toBe(platform);
  });

  it('depends on @sim/iommu-group', () => {
    expect(() => createKernel({ machine: POWERNV, plugins: [tceIommuPlugin()] })).toThrow(/SIM_ERR_PLUGIN_DEPENDENCY/);
  });

  it('sits after blocks registered before it (priority 0, FIFO), e.g. the IOMMU core notifier', () => {
    expect(pciBlocks(powernv({}, iommuGroupPlugin()))).toEqual(['iommu_bus_notifier', TCE_IOMMU_NOTIFIER_NAME]);
  });

  it('does not replay devices already on the bus', () => {
    const kernel = createKernel({ machine: POWERNV, plugins: [iommuGroupPlugin({ buses: [] })] });
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    kernel.use(tceIommuPlugin());
    expect(kernel.device('0000:01:00.0')!.iommuGroup).toBeNull();
  });

  it('teardown takes the block off the chain and drops the PE groups', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    const chain = kernel.bus('pci').notifier;
    kernel.close();
    expect(chain.blocks()).toEqual([]);
    expect(kernel.sysfs.exists('/sys/kernel/iommu_groups')).toBe(false);
  });
});

describe('BUS_NOTIFY_ADD_DEVICE: iommu_add_device(), each check in the kernel order', () => {
  it('a device with a TCE table joins its PE group: 0, links, the kernel lines', () => {
    const plugin = tceIommuPlugin();
    const kernel = createKernel({ machine: POWERNV, plugins: [iommuGroupPlugin({ buses: [] }), plugin] });
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 1 })))).toEqual([0]);
    const dev = kernel.device('0000:01:00.0')!;
    const group = deviceIommuGroup(dev)!;
    expect(group.id).toBe(0);
    expect(group.name).toBe('domain0-pe1');
    expect(kernel.sysfs.read('/sys/kernel/iommu_groups/0/name')).toBe('domain0-pe1\n');
    expect(kernel.sysfs.realpath(`${dev.path}/iommu_group`)).toBe('/sys/kernel/iommu_groups/0');
    expect(lines(kernel, KERN_DEBUG)).toContain('iommu_add_device: Adding 0000:01:00.0 to iommu group 0');
    expect(lines(kernel, KERN_INFO)).toContain('iommu: Adding device 0000:01:00.0 to group 0');
    expect(plugin.state(kernel)?.tableGroups.map((t) => [t.name, t.group.id])).toEqual([['domain0-pe1', 0]]);
  });

  it('devices of one PE share its group; another PE or PHB gets its own, named domain<phb>-pe<pe in hex>', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    kernel.addDevice(pci('0000:01:00.1', { pe: 1 }));
    kernel.addDevice(pci('0000:02:00.0', { pe: 0x7f0 }));
    kernel.addDevice(pci('0005:01:00.0', { pe: 1 }));
    kernel.addDevice(pci('0000:03:00.0', tceTable({ pe: 1, phb: 8 })));
    expect(iommuGroups(kernel).map((g) => [g.id, g.name, g.devices().map((d) => d.name)])).toEqual([
      [0, 'domain0-pe1', ['0000:01:00.0', '0000:01:00.1']],
      [1, 'domain0-pe7f0', ['0000:02:00.0']],
      [2, 'domain5-pe1', ['0005:01:00.0']],
      [3, 'domain8-pe1', ['0000:03:00.0']],
    ]);
  });

  it('no TCE table (no props.tce): 0, "Skipping device %s with no tbl", no group', () => {
    const kernel = powernv();
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0')))).toEqual([0]);
    expect(lines(kernel, KERN_DEBUG)).toContain('iommu_add_device: Skipping device 0000:01:00.0 with no tbl');
    expect(kernel.device('0000:01:00.0')!.iommuGroup).toBeNull();
    expect(iommuGroups(kernel)).toEqual([]);
  });

  it('a table on no table group (linked: false): 0, "Skipping device %s with no group"', () => {
    const kernel = powernv();
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 1, linked: false })))).toEqual([0]);
    expect(lines(kernel, KERN_DEBUG)).toContain('iommu_add_device: Skipping device 0000:01:00.0 with no group');
    expect(iommuGroups(kernel)).toEqual([]);
  });

  it('IOMMU pages larger than the kernel page: -EINVAL with the pr_err line, the device in no group', () => {
    const kernel = powernv();
    kernel.registerDriver({ name: 'mlx5_core', bus: 'pci', ids: [{ vendor: 0x15b3, device: 0x1013 }], probe: 'ok' });
    // ADD_DEVICE, then the bind's BIND_DRIVER and BOUND_DRIVER.
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 1, pageShift: 16 })))).toEqual([
      -EINVAL,
      0,
      0,
    ]);
    expect(lines(kernel, KERN_ERR)).toEqual(['iommu_add_device: Invalid IOMMU page size 10000 (1000) on 0000:01:00.0']);
    const dev = kernel.device('0000:01:00.0')!;
    expect(dev.iommuGroup).toBeNull();
    expect(kernel.sysfs.exists(`${dev.path}/iommu_group`)).toBe(false);
    // device_add() ignored it: the device is there and its driver bound.
    expect(dev.isBound).toBe(true);
    // The PE's group exists (it would on the machine), empty.
    expect(findIommuGroup(kernel, 0)?.devices()).toEqual([]);
  });

  it('with 64 KiB kernel pages a 64 KiB table is fine and a 16 MiB one is not', () => {
    const kernel = powernv({ pageShift: 16 });
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 1, pageShift: 16 })))).toEqual([0]);
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.1', { pe: 1, pageShift: 24 })))).toEqual([-EINVAL]);
    expect(lines(kernel, KERN_ERR)).toEqual([
      'iommu_add_device: Invalid IOMMU page size 1000000 (10000) on 0000:01:00.1',
    ]);
  });

  it('a device already in a group: -EBUSY with its pr_debug, the group untouched (the IOMMU core grouped it first)', () => {
    const kernel = powernv({}, iommuGroupPlugin());
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 1 })))).toEqual([-EBUSY]);
    const dev = kernel.device('0000:01:00.0')!;
    expect(lines(kernel, KERN_DEBUG)).toContain(
      `iommu_add_device: Skipping device 0000:01:00.0 with iommu group ${dev.iommuGroup!.id}`,
    );
    expect(iommuGroups(kernel).map((g) => [g.name, g.devices().map((d) => d.name)])).toEqual([
      [null, ['0000:01:00.0']],
    ]);
  });

  it('-EBUSY comes before the table check: a grouped device without a table is -EBUSY too', () => {
    const kernel = powernv({}, iommuGroupPlugin());
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0')))).toEqual([-EBUSY]);
  });

  it('a device no longer in sysfs: -ENOENT, silently (the first check)', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    const dev = kernel.device('0000:01:00.0') as Device;
    kernel.removeDevice('0000:01:00.0');
    kernel.dmesg.clear();
    expect(kernel.callChain(kernel.bus('pci').notifier, BUS_NOTIFY_ADD_DEVICE, dev, 'test')).toBe(-ENOENT);
    expect(kernel.dmesg.lines()).toEqual([]);
  });

  it("iommu_group_add_device()'s error comes back raw (an iommu_group link already there: -EEXIST)", () => {
    const kernel = powernv();
    kernel.bus('pci').registerNotifier({
      name: 'squatter',
      priority: 1,
      notifierCall: (a, d) => {
        if (a === BUS_NOTIFY_ADD_DEVICE && d !== null) kernel.sysfs.createLink(`${d.path}/iommu_group`, '/sys/kernel');
        return 0;
      },
    });
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 1 })))).toEqual([-EEXIST]);
    expect(lines(kernel, KERN_ERR)).toContain('iommu: Failed to add device 0000:01:00.0 to group 0: -17');
    expect(kernel.device('0000:01:00.0')!.iommuGroup).toBeNull();
  });

  it('a device the kernel refuses (slot taken): -EEXIST from device_add(), tce never called, groups unchanged', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    const before = iommuGroups(kernel).map((g) => [g.id, g.name, g.devices().map((d) => d.name)]);
    expect(answers(kernel, () => expect(kernel.addDevice(pci('0000:01:00.0', { pe: 2 }))).toBe(-EEXIST))).toEqual([]);
    expect(iommuGroups(kernel).map((g) => [g.id, g.name, g.devices().map((d) => d.name)])).toEqual(before);
  });

  it('the raw errno carries the stop bit: later PCI blocks are skipped for that device', () => {
    const kernel = powernv();
    const seen: string[] = [];
    kernel.bus('pci').registerNotifier({
      name: 'later',
      notifierCall: (a, d) => {
        if (a === BUS_NOTIFY_ADD_DEVICE) seen.push(d!.name);
        return NOTIFY_OK;
      },
    });
    kernel.addDevice(pci('0000:01:00.0', { pe: 1, pageShift: 16 }));
    kernel.addDevice(pci('0000:01:00.1', { pe: 1 }));
    expect(seen).toEqual(['0000:01:00.1']);
  });

  it('a props.tce that is not a table: a WARN, read as no table (0)', () => {
    const kernel = powernv();
    expect(answers(kernel, () => kernel.addDevice(pci('0000:01:00.0', { pe: 'one' })))).toEqual([0]);
    expect(lines(kernel, KERN_WARNING)).toContain(
      'props.tce of 0000:01:00.0 is not a TCE table (pe must be a PE number, an integer in [0, 2147483647], got "one"): read as no table',
    );
    expect(kernel.oops).toBeNull();
  });
});

describe('BUS_NOTIFY_DEL_DEVICE and the other events', () => {
  it('DEL_DEVICE takes a grouped device out of its group ("Removing device"), answers 0; the PE group stays', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    expect(answers(kernel, () => kernel.removeDevice('0000:01:00.0'))).toEqual([0, 0]); // DEL, REMOVED
    expect(lines(kernel, KERN_INFO)).toContain('iommu: Removing device 0000:01:00.0 from group 0');
    expect(findIommuGroup(kernel, 0)?.devices()).toEqual([]);
    expect(findIommuGroup(kernel, 0)?.name).toBe('domain0-pe1');
  });

  it('DEL_DEVICE of a device in no group: 0, nothing printed', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0'));
    kernel.dmesg.clear();
    const dev = kernel.device('0000:01:00.0')!;
    expect(kernel.callChain(kernel.bus('pci').notifier, BUS_NOTIFY_DEL_DEVICE, dev, 'test')).toBe(0);
    expect(kernel.dmesg.lines()).toEqual([]);
  });

  it('a bind (BIND_DRIVER, BOUND_DRIVER) and unbind: 0 each, nothing changed', () => {
    const kernel = powernv();
    kernel.addDevice(pci('0000:01:00.0', { pe: 1 }));
    const got = answers(kernel, () => {
      kernel.registerDriver({ name: 'mlx5_core', bus: 'pci', ids: [{ vendor: 0x15b3, device: 0x1013 }], probe: 'ok' });
      kernel.unregisterDriver('mlx5_core', 'pci');
    });
    expect(got).toEqual([0, 0, 0, 0]);
    expect(kernel.device('0000:01:00.0')!.iommuGroup?.id).toBe(0);
  });

  it.each([BUS_NOTIFY_ADD_DEVICE, BUS_NOTIFY_DEL_DEVICE])(
    'NULL data on event %i: the kernel oopses dereferencing dev',
    (event) => {
      const kernel = powernv();
      expect(() => kernel.callChain(kernel.bus('pci').notifier, event, null, 'test')).toThrow();
      expect(kernel.oops?.message).toBe('Unable to handle kernel paging request for data (dev is NULL)');
      expect(kernel.oops?.callPath.at(-1)).toBe(TCE_IOMMU_NOTIFIER_NAME);
    },
  );

  it('NULL data on another event: 0', () => {
    const kernel = powernv();
    expect(kernel.callChain(kernel.bus('pci').notifier, BUS_NOTIFY_BIND_DRIVER, null, 'test')).toBe(0);
  });
});

describe('exercise()', () => {
  it('gives -EINVAL through device_add(), then -EBUSY and -ENOENT from its own ADD_DEVICE calls', () => {
    const plugin = tceIommuPlugin();
    const kernel = createKernel({ machine: POWERNV, plugins: [iommuGroupPlugin({ buses: [] }), plugin] });
    const rec = kernel.trace.record();
    plugin.exercise?.(kernel);
    rec.stop();
    const calls = rec.events.flatMap((e) =>
      e.type === 'chain.return' && e.chain === 'pci' && e.action === BUS_NOTIFY_ADD_DEVICE ? [[e.caller, e.ret]] : [],
    );
    expect(calls).toEqual([
      ['device_add', -EINVAL],
      ['device_add', 0],
      ['tce-iommu exercise', -EBUSY],
      ['tce-iommu exercise', -ENOENT],
    ]);
  });

  it('does nothing where the notifier is not registered', () => {
    const plugin = tceIommuPlugin();
    const kernel = createKernel({ plugins: [iommuGroupPlugin({ buses: [] }), plugin] });
    plugin.exercise?.(kernel);
    expect(kernel.devices()).toEqual([]);
  });
});

describe('tceTable() and options', () => {
  it("a tceTable() result is read as the table it describes (phb null: the device's domain)", () => {
    const kernel = powernv();
    kernel.addDevice(pci('0003:01:00.0', tceTable({ pe: 1 })));
    expect(kernel.device('0003:01:00.0')!.iommuGroup).toMatchObject({ name: 'domain3-pe1' });
    expect(lines(kernel, KERN_WARNING)).toEqual([]);
  });

  it('tceTable() fills in the defaults and freezes', () => {
    const t = tceTable({ pe: 3 });
    expect(t).toEqual({ pe: 3, phb: null, pageShift: 12, linked: true });
    expect(Object.isFrozen(t)).toBe(true);
  });

  it.each([
    [null, /\{ pe, phb\?, pageShift\?, linked\? \}/],
    [{}, /pe must be a PE number/],
    [{ pe: -1 }, /pe must be a PE number.*-1/],
    [{ pe: 1, phb: 70000 }, /phb must be a PCI domain number/],
    [{ pe: 1, pageShift: 11 }, /pageShift is log2 of the IOMMU page size.*got 11/],
    [{ pe: 1, pageShift: 41 }, /pageShift/],
    [{ pe: 1, linked: 'yes' }, /linked must be a boolean/],
    [{ pe: 1, group: 3 }, /unknown field "group"; the fields are pe, phb, pageShift, linked/],
  ])('tceTable(%j) -> SIM_ERR_TCE_BAD_TABLE', (spec, message) => {
    let thrown: unknown;
    try {
      tceTable(spec as never);
    } catch (e) {
      thrown = e;
    }
    expect(SimError.isInstance(thrown)).toBe(true);
    expect((thrown as SimError).code).toBe('SIM_ERR_TCE_BAD_TABLE');
    expect((thrown as SimError).message).toMatch(message);
  });

  it.each([
    [null, /options object/],
    [{ platform: 'chrp' }, /platform.*"chrp"/],
    [{ pageShift: 14 }, /pageShift.*12 \(4 KiB pages\) or 16 \(64 KiB pages\), got 14/],
    [{ machine: 'powernv' }, /unknown option "machine"; known options: platform, pageShift/],
  ])('tceIommuPlugin(%j) -> SIM_ERR_TCE_BAD_OPTION', (options, message) => {
    let thrown: unknown;
    try {
      tceIommuPlugin(options as never);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as SimError).code).toBe('SIM_ERR_TCE_BAD_OPTION');
    expect((thrown as SimError).message).toMatch(message);
    expect(Object.keys(TCE_ERROR_CODES)).toContain((thrown as SimError).code);
  });
});
