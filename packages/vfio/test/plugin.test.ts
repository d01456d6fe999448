import {
  createKernel,
  type Device,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_OK,
  SimError,
  STOP_BIND_ON_NOTIFY_BAD,
} from '@sim/core';
import { deviceIommuGroup, iommuGroupGet, iommuGroupPlugin, iommuGroupPut, PERCOLATE } from '@sim/iommu-group';
import {
  RFC_2017_PROFILE,
  VETO_BIND,
  VFIO_GROUP_SET_CONTAINER,
  vfioAddGroupDev,
  vfioDelGroupDev,
  vfioGroups,
  vfioPlugin,
  vfioRegisterBusDriver,
} from '@sim/vfio';
import { describe, expect, it } from 'vitest';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (SimError.isInstance(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('vfioPlugin', () => {
  it('depends on iommu-group', () => {
    expect(code(() => createKernel({ plugins: [vfioPlugin()] }))).toBe('SIM_ERR_PLUGIN_DEPENDENCY');
    expect(() => createKernel({ plugins: [vfioPlugin()] })).toThrow(/use 'iommu-group' before 'vfio'/);
  });

  it('declares vetoBind and the rfc-2017 profile (core seed flag + percolate + vetoBind)', () => {
    const k = createKernel({ profile: 'rfc-2017', plugins: [iommuGroupPlugin(), vfioPlugin()] });
    expect(k.profile).toEqual({
      name: 'rfc-2017',
      base: '4.12',
      flags: [STOP_BIND_ON_NOTIFY_BAD, PERCOLATE, VETO_BIND],
    });
    expect(RFC_2017_PROFILE.flags).toEqual(['stopBindOnNotifyBad', 'percolate', 'vetoBind']);
    expect(k.knownProfiles().map((p) => p.name)).toEqual(['v4.12', 'v4.12+bind-veto', 'v6.12', 'rfc-2017']);
    expect(k.knownFlags().find((f) => f.name === VETO_BIND)?.where).toBe(
      'drivers/vfio/vfio.c vfio_iommu_group_notifier()',
    );
    for (const flag of [STOP_BIND_ON_NOTIFY_BAD, PERCOLATE, VETO_BIND]) expect(k.hasFlag(flag)).toBe(true);
  });

  it('rejects bad options in the factory with SIM_ERR_VFIO_BAD_OPTION', () => {
    for (const options of [
      7,
      [],
      { ids: 5 },
      { pciStub: 'yes' },
      { pciStub: { ids: 1 } },
      { pciStub: { x: 1 } },
      { platform: 1 },
      { idz: '' },
    ]) {
      expect(code(() => vfioPlugin(options as never))).toBe('SIM_ERR_VFIO_BAD_OPTION');
    }
    expect(() => vfioPlugin({ ids: 5 } as never)).toThrow(
      /ids is the vfio-pci module parameter, a string such as '10de:1b80,10de:10f0', got 5/,
    );
  });

  it('refuses, at use(), a kernel that has a vfio-pci already, and leaves it as it was', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin()] });
    k.registerDriver({ name: 'vfio-pci', bus: 'pci' });
    expect(code(() => k.use(vfioPlugin()))).toBe('SIM_ERR_VFIO_BAD_OPTION');
    expect(k.plugins()).toEqual(['iommu-group']);
    expect(k.dev.exists('/dev/vfio/vfio')).toBe(false);
    expect(k.knownFlags().map((f) => f.name)).not.toContain(VETO_BIND);
  });

  it('can be used after devices exist', () => {
    const k = createKernel();
    k.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80 });
    k.use(iommuGroupPlugin()).use(vfioPlugin({ ids: '10de:1b80' }));
    expect(k.device('0000:01:00.0')!.driver?.name).toBe('vfio-pci');
    expect(k.dev.exists('/dev/vfio/0')).toBe(true);
  });

  it('takes /dev/vfio/vfio away on close', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin(), vfioPlugin()] });
    k.close();
    expect(k.dev.exists('/dev/vfio/vfio')).toBe(false);
    expect(code(() => vfioGroups(k))).toBe('SIM_ERR_VFIO_NOT_IN_USE');
  });
});

describe('the vfio bus driver API', () => {
  /** A vfio bus driver of one's own, on a bus of one's own (an mdev-like parent). */
  function ownDriver(register: boolean) {
    // A bus of one's own exists before iommu-group's setup when a plugin registers it first.
    const myBus = { name: 'mybus', setup: (kernel: Kernel) => void kernel.busRegister({ name: 'mybus' }) };
    const k = createKernel({
      profile: 'rfc-2017',
      plugins: [myBus, iommuGroupPlugin({ buses: ['pci', 'mybus'] }), vfioPlugin()],
    });
    k.registerDriver({
      name: 'my-vfio',
      bus: 'mybus',
      probe: (dev: Device) => {
        const group = iommuGroupGet(dev);
        const ret = vfioAddGroupDev(k, dev, { name: 'my-vfio' });
        if (ret !== 0) iommuGroupPut(group);
        return ret;
      },
      remove: (dev: Device) => {
        vfioDelGroupDev(k, dev);
        iommuGroupPut(deviceIommuGroup(dev));
      },
    });
    if (register) vfioRegisterBusDriver(k, k.driver('my-vfio', 'mybus')!);
    return k;
  }

  it('lets a driver of another bus register devices with vfio', () => {
    const k = ownDriver(true);
    k.addDevice({ bus: 'mybus', name: 'a' });
    expect(k.device('a')!.driver?.name).toBe('my-vfio');
    expect(k.dev.exists('/dev/vfio/0')).toBe(true);
    expect(k.sysfs.write('/sys/bus/mybus/drivers/my-vfio/unbind', 'a')).toBe(1);
    expect(k.dev.exists('/dev/vfio/0')).toBe(false);
  });

  it('under vetoBind, only a declared vfio bus driver may bind into a live group', () => {
    for (const declared of [true, false]) {
      const k = ownDriver(declared);
      k.addDevice({ bus: 'mybus', name: 'a' });
      const c = k.dev.open('/dev/vfio/vfio')!;
      const g = k.dev.open('/dev/vfio/0')!;
      expect(k.dev.ioctl(g, VFIO_GROUP_SET_CONTAINER, c)).toBe(0);
      expect(k.sysfs.write('/sys/bus/mybus/drivers/my-vfio/unbind', 'a')).toBe(1);
      const rec = k.trace.record();
      const ret = k.sysfs.write('/sys/bus/mybus/drivers/my-vfio/bind', 'a');
      rec.stop();
      const answer = rec.events.find((e) => e.type === 'chain.block' && e.block === 'vfio_iommu_group_notifier');
      expect(answer).toMatchObject({ ret: declared ? NOTIFY_OK : NOTIFY_BAD });
      expect(ret).toBe(declared ? 1 : -19);
    }
  });

  it('vfioRegisterBusDriver wants a registered driver', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin(), vfioPlugin()] });
    expect(code(() => vfioRegisterBusDriver(k, { name: 'x' } as never))).toBe('SIM_ERR_VFIO_BAD_ARGUMENT');
    expect(code(() => vfioRegisterBusDriver(k, null as never))).toBe('SIM_ERR_VFIO_BAD_ARGUMENT');
  });

  it('SIM_ERR_VFIO_NOT_IN_USE for the API on a kernel without vfio', () => {
    const k = createKernel({ plugins: [iommuGroupPlugin()] });
    k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 1, device: 2 });
    expect(code(() => vfioAddGroupDev(k, k.device('0000:00:02.0')!, { name: 'x' }))).toBe('SIM_ERR_VFIO_NOT_IN_USE');
  });
});
