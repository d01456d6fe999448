import {
  createKernel,
  EACCES,
  EEXIST,
  EINVAL,
  EIO,
  EISDIR,
  ENODEV,
  ENOENT,
  ENOTDIR,
  type Kernel,
  PAGE_SIZE,
  SimError,
} from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, NOUVEAU, snapshot, traced } from './helpers.ts';

const AUDIO = { bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 } as const;
const dev = (k: Kernel, name: string) => k.device(name)?.driver?.name ?? null;

function machine(): Kernel {
  const { k } = traced();
  k.addDevice({ bus: 'pci', address: '0000:00:01.0', vendor: 0x8086, device: 0x1901, class: 0x060400, hdrType: 1 });
  k.addDevice({ ...GPU, parent: '0000:00:01.0' });
  k.addDevice({ ...AUDIO, parent: '0000:00:01.0' });
  return k;
}

describe('bind_store / unbind_store (drivers/base/bus.c)', () => {
  it('binds a matching unbound device and returns the count; the trailing newline is optional', () => {
    const k = machine();
    k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
    k.registerDriver(NOUVEAU);
    expect(dev(k, GPU.address)).toBeNull();
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', '0000:01:00.0')).toBe(12);
    expect(dev(k, GPU.address)).toBe('nouveau');
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', '0000:01:00.0\n')).toBe(13);
    expect(dev(k, GPU.address)).toBeNull();
  });

  it('answers -ENODEV for no such device, an already bound one, a non-matching one, and spaces around the name', () => {
    const k = machine();
    k.registerDriver(NOUVEAU);
    const before = snapshot(k);
    for (const text of ['0000:09:00.0', '0000:01:00.0', '0000:01:00.1', ' 0000:01:00.0', '0000:01:00.0\n\n']) {
      expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', text), JSON.stringify(text)).toBe(-ENODEV);
    }
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', '0000:01:00.1')).toBe(-ENODEV);
    expect(snapshot(k)).toEqual(before);
  });

  it('a failed probe makes bind return -ENODEV whatever the probe returned', () => {
    const k = machine();
    k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
    k.registerDriver({ ...NOUVEAU, probe: { errno: -12 } });
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(-ENODEV);
  });

  it('has no bind/unbind files with suppress_bind_attrs', () => {
    const k = machine();
    k.registerDriver({ ...NOUVEAU, suppressBindAttrs: true });
    expect(k.sysfs.list('/sys/bus/pci/drivers/nouveau')).toEqual(['0000:01:00.0', 'new_id', 'remove_id', 'uevent']);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', GPU.address)).toBe(-EACCES);
  });
});

describe('drivers_probe and drivers_autoprobe', () => {
  it('drivers_probe: -ENODEV for no device, the count even when nothing binds', () => {
    const k = machine();
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', 'nope')).toBe(-ENODEV);
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', '0000:01:00.0\n')).toBe(13);
    expect(dev(k, GPU.address)).toBeNull();
  });

  it('drivers_autoprobe reads 1 by default; any first byte but 0 enables', () => {
    const k = machine();
    expect(k.sysfs.read('/sys/bus/platform/drivers_autoprobe')).toBe('1\n');
    for (const [text, value] of [
      ['0\n', '0\n'],
      ['no', '1\n'],
      ['0x', '0\n'],
      ['\n', '1\n'],
    ] as const) {
      expect(k.sysfs.write('/sys/bus/platform/drivers_autoprobe', text)).toBe(text.length);
      expect(k.sysfs.read('/sys/bus/platform/drivers_autoprobe')).toBe(value);
    }
  });
});

describe('driver_override (drivers/pci/pci-sysfs.c, drivers/base/platform.c)', () => {
  it('reads (null) when unset; keeps the first line; an empty line clears; never binds by itself', () => {
    const k = machine();
    const path = '/sys/bus/pci/devices/0000:01:00.1/driver_override';
    expect(k.sysfs.read(path)).toBe('(null)\n');
    expect(k.sysfs.write(path, 'vfio-pci\nignored')).toBe(16);
    expect(k.sysfs.read(path)).toBe('vfio-pci\n');
    expect(k.sysfs.write(path, 'with space\n')).toBe(11);
    expect(k.sysfs.read(path)).toBe('with space\n');
    expect(k.sysfs.write(path, '\n')).toBe(1);
    expect(k.sysfs.read(path)).toBe('(null)\n');
  });

  it('a PAGE_SIZE - 1 write is -EINVAL and changes nothing', () => {
    const k = machine();
    const path = '/sys/bus/pci/devices/0000:01:00.1/driver_override';
    expect(k.sysfs.write(path, 'x'.repeat(PAGE_SIZE - 1))).toBe(-EINVAL);
    expect(k.sysfs.read(path)).toBe('(null)\n');
  });

  it('the override + drivers_probe round trip binds a driver whose ids do not match', () => {
    const k = machine();
    k.registerDriver({ name: 'vfio-pci', bus: 'pci' });
    expect(dev(k, AUDIO.address)).toBeNull();
    k.sysfs.write('/sys/bus/pci/devices/0000:01:00.1/driver_override', 'vfio-pci\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', '0000:01:00.1')).toBe(12);
    expect(dev(k, AUDIO.address)).toBe('vfio-pci');
    expect(k.sysfs.readlink('/sys/bus/pci/devices/0000:01:00.1/driver')).toBe('../../../../bus/pci/drivers/vfio-pci');
    // The override also keeps the id-table driver away.
    k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/unbind', '0000:01:00.1');
    k.registerDriver({ name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }] });
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', '0000:01:00.1')).toBe(-ENODEV);
    k.sysfs.write('/sys/bus/pci/devices/0000:01:00.1/driver_override', '\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', '0000:01:00.1')).toBe(12);
  });

  it('platform devices have it too', () => {
    const { k } = traced();
    k.addDevice({ bus: 'platform', name: 'uart', id: 1 });
    k.registerDriver({ name: 'other', bus: 'platform' });
    k.sysfs.write('/sys/bus/platform/devices/uart.1/driver_override', 'other');
    k.sysfs.write('/sys/bus/platform/drivers_probe', 'uart.1');
    expect(dev(k, 'uart.1')).toBe('other');
  });
});

describe('new_id / remove_id (drivers/pci/pci-driver.c)', () => {
  it('new_id attaches at once, even with drivers_autoprobe=0', () => {
    const k = machine();
    k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
    k.registerDriver({ name: 'vfio-pci', bus: 'pci' });
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/new_id', '10de 10f0\n')).toBe(10);
    expect(dev(k, AUDIO.address)).toBe('vfio-pci');
    expect(k.driver('vfio-pci', 'pci')?.dynids()).toEqual([
      {
        vendor: 0x10de,
        device: 0x10f0,
        subvendor: 0xffffffff,
        subdevice: 0xffffffff,
        class: 0,
        classMask: 0,
        driverData: 0,
      },
    ]);
  });

  it('parses hex with or without 0x, stops at the first bad field, needs two', () => {
    const k = machine();
    k.registerDriver({ name: 'stub', bus: 'pci' });
    const path = '/sys/bus/pci/drivers/stub/new_id';
    expect(k.sysfs.write(path, '10de')).toBe(-EINVAL);
    expect(k.sysfs.write(path, 'zz 10f0')).toBe(-EINVAL);
    expect(k.sysfs.write(path, '0x8086 0x1234 junk')).toBe(18);
    expect(
      k
        .driver('stub', 'pci')
        ?.dynids()
        .map((d) => [d.vendor, d.device]),
    ).toEqual([[0x8086, 0x1234]]);
  });

  it('-EEXIST when the static table already matches; -EINVAL for driver_data not in the table', () => {
    const k = machine();
    k.registerDriver({ name: 'hda', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0, driverData: 7 }] });
    expect(k.sysfs.write('/sys/bus/pci/drivers/hda/new_id', '10de 10f0')).toBe(-EEXIST);
    expect(k.sysfs.write('/sys/bus/pci/drivers/hda/new_id', '10de 1111 ffffffff ffffffff 0 0 3')).toBe(-EINVAL);
    expect(k.sysfs.write('/sys/bus/pci/drivers/hda/new_id', '10de 1111 ffffffff ffffffff 0 0 7')).toBe(33);
    k.registerDriver({ name: 'empty', bus: 'pci', ids: [] });
    expect(k.sysfs.write('/sys/bus/pci/drivers/empty/new_id', '1 2')).toBe(-EINVAL);
  });

  it('remove_id removes the first matching dynamic id, -ENODEV otherwise, and does not unbind', () => {
    const k = machine();
    k.registerDriver({ name: 'vfio-pci', bus: 'pci' });
    k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/new_id', '10de 10f0');
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/remove_id', '10de 10f1')).toBe(-ENODEV);
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/remove_id', '10de')).toBe(-EINVAL);
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-pci/remove_id', '10de 10f0')).toBe(9);
    expect(k.driver('vfio-pci', 'pci')?.dynids()).toEqual([]);
    expect(dev(k, AUDIO.address)).toBe('vfio-pci');
  });
});

describe('PCI remove and rescan', () => {
  it('removing a bridge removes what is behind it; a rescan finds all again, bridge first', () => {
    const k = machine();
    k.registerDriver(NOUVEAU);
    expect(k.sysfs.write('/sys/bus/pci/devices/0000:00:01.0/remove', '1')).toBe(1);
    expect(k.sysfs.list('/sys/bus/pci/devices')).toEqual([]);
    expect(k.sysfs.write('/sys/bus/pci/rescan', '1\n')).toBe(2);
    expect(k.sysfs.list('/sys/bus/pci/devices')).toEqual(['0000:00:01.0', '0000:01:00.0', '0000:01:00.1']);
    expect(dev(k, GPU.address)).toBe('nouveau');
  });

  it('remove and rescan parse with kstrtoul: 0 does nothing, junk is -EINVAL', () => {
    const k = machine();
    expect(k.sysfs.write('/sys/bus/pci/devices/0000:01:00.0/remove', '0')).toBe(1);
    expect(k.sysfs.write('/sys/bus/pci/devices/0000:01:00.0/remove', 'yes')).toBe(-EINVAL);
    expect(k.sysfs.write('/sys/bus/pci/rescan', '1 ')).toBe(-EINVAL);
    expect(k.device(GPU.address)).toBeDefined();
  });

  it('a device unplugged through the API is not found again; one added again replaces it', () => {
    const k = machine();
    k.removeDevice(GPU.address);
    k.sysfs.write('/sys/bus/pci/rescan', '1');
    expect(k.device(GPU.address)).toBeUndefined();
    k.sysfs.write('/sys/bus/pci/devices/0000:01:00.1/remove', '1');
    expect(k.addDevice({ ...AUDIO, device: 0x10f1, parent: '0000:00:01.0' })).toBe(0);
    k.sysfs.write('/sys/bus/pci/rescan', '1');
    expect(k.sysfs.list('/sys/bus/pci/devices')).toEqual(['0000:00:01.0', '0000:01:00.1']);
    expect(k.sysfs.read('/sys/bus/pci/devices/0000:01:00.1/device')).toBe('0x10f1\n');
  });

  it('a slot that is taken: -EEXIST with the kernel warning, nothing changes', () => {
    const k = machine();
    const before = snapshot(k);
    expect(k.addDevice({ ...GPU, parent: '0000:00:01.0' })).toBe(-EEXIST);
    expect(k.dmesg.lines({ timestamps: false })).toContain(
      "sysfs: cannot create duplicate filename '/devices/pci0000:00/0000:00:01.0/0000:01:00.0'",
    );
    expect(snapshot(k)).toEqual(before);
  });
});

describe('the VFS around sysfs', () => {
  const k = machine();
  k.registerDriver(NOUVEAU);

  it.each([
    ['/sys/bus/pci/nosuch', '1', -EACCES],
    ['/sys/bus/nosuch/x', '1', -ENOENT],
    ['/sys/bus/pci/devices/0000:01:00.0/vendor', '1', -EACCES],
    ['/sys/bus/pci', '1', -EISDIR],
    ['/sys/bus/pci/drivers_probe/x', '1', -ENOTDIR],
    ['/proc/sys/x', '1', -ENOENT],
  ])('write %s -> %i', (path, text, ret) => {
    expect(k.sysfs.write(path, text)).toBe(ret);
  });

  it('reads: a write-only file is -EACCES, a directory -EISDIR, a missing file -ENOENT', () => {
    expect(k.sysfs.read('/sys/bus/pci/drivers/nouveau/bind')).toBe(-EACCES);
    expect(k.sysfs.read('/sys/bus/pci')).toBe(-EISDIR);
    expect(k.sysfs.read('/sys/bus/pci/nosuch')).toBe(-ENOENT);
    expect(k.sysfs.read('/sys/bus/pci/devices/0000:01:00.0/class')).toBe('0x030000\n');
  });

  it('an empty write returns 0 without calling the store', () => {
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', '')).toBe(0);
  });

  it('a store without a write method is -EIO', () => {
    expect(k.sysfs.createFile('/sys/kernel/ro-but-writable', { mode: 0o644, show: () => 'x\n' })).toBe(0);
    expect(k.sysfs.write('/sys/kernel/ro-but-writable', '1')).toBe(-EIO);
    expect(k.sysfs.remove('/sys/kernel/ro-but-writable')).toBe(0);
  });

  it('readlink shows sysfs links relative to the link; realpath follows them', () => {
    expect(k.sysfs.readlink('/sys/bus/pci/devices/0000:01:00.0')).toBe(
      '../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0',
    );
    expect(k.sysfs.readlink('/sys/bus/pci/drivers/nouveau/0000:01:00.0')).toBe(
      '../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0',
    );
    expect(k.sysfs.readlink('/sys/bus/pci/devices/0000:01:00.0/subsystem')).toBe('../../../../bus/pci');
    expect(k.sysfs.readlink('/sys/bus/pci/devices/0000:01:00.0/vendor')).toBe(-EINVAL);
    expect(k.sysfs.realpath('/sys/bus/pci/devices/0000:01:00.0/driver')).toBe('/sys/bus/pci/drivers/nouveau');
    expect(k.sysfs.realpath('/sys/bus/pci/devices/0000:01:00.0/../0000:01:00.1')).toBe(
      '/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1',
    );
  });

  it('lists directories sorted; stat tells files, links and directories apart', () => {
    expect(k.sysfs.list('/sys')).toEqual(['bus', 'class', 'devices', 'kernel', 'module']);
    expect(k.sysfs.list('/sys/bus')).toEqual(['i2c', 'pci', 'platform']);
    expect(k.sysfs.list('/sys/bus/pci')).toEqual([
      'devices',
      'drivers',
      'drivers_autoprobe',
      'drivers_probe',
      'rescan',
      'uevent',
    ]);
    expect(k.sysfs.list('/sys/devices')).toEqual(['pci0000:00']);
    expect(k.sysfs.list('/sys/bus/pci/devices/0000:01:00.0')).toEqual([
      'class',
      'config',
      'device',
      'driver',
      'driver_override',
      'irq',
      'modalias',
      'remove',
      'rescan',
      'resource',
      'revision',
      'subsystem',
      'subsystem_device',
      'subsystem_vendor',
      'uevent',
      'vendor',
    ]);
    expect(k.sysfs.stat('/sys/bus/pci/drivers/nouveau/bind')).toEqual({ type: 'file', mode: 0o200 });
    expect(k.sysfs.stat('/sys/bus/pci/devices/0000:01:00.0')).toEqual({ type: 'link', mode: 0o777 });
    expect(k.sysfs.stat('/sys/devices/pci0000:00')).toEqual({ type: 'dir', mode: 0o755 });
    expect(k.sysfs.list('/sys/bus/pci/drivers/nouveau/bind')).toBe(-ENOTDIR);
  });

  it('writes of more than a page are cut to PAGE_SIZE bytes', () => {
    const { k: other } = traced();
    other.addDevice({ bus: 'platform', name: 'p' });
    expect(other.sysfs.write('/sys/bus/platform/drivers_autoprobe', '1'.repeat(PAGE_SIZE + 10))).toBe(PAGE_SIZE);
  });

  it('relative paths and non-string text are API misuse', () => {
    expect(() => k.sysfs.write('sys/bus/pci/rescan', '1')).toThrow(/SIM_ERR_SYSFS_BAD_PATH/);
    expect(() => k.sysfs.write('/sys/bus/pci/rescan', 1 as unknown as string)).toThrow(SimError);
  });
});

describe('kernel-side sysfs entries', () => {
  it('create, find, refuse a duplicate with the kernel warning, remove', () => {
    const { k } = traced();
    k.addDevice({ bus: 'platform', name: 'p' });
    expect(k.sysfs.createDir('/sys/kernel/iommu_groups')).toBe(0);
    expect(k.sysfs.createDir('/sys/kernel/iommu_groups/0')).toBe(0);
    expect(k.sysfs.createLink('/sys/devices/platform/p/iommu_group', '/sys/kernel/iommu_groups/0')).toBe(0);
    expect(k.sysfs.readlink('/sys/bus/platform/devices/p/iommu_group')).toBe('../../../kernel/iommu_groups/0');
    expect(k.sysfs.createDir('/sys/kernel/iommu_groups/0')).toBe(-EEXIST);
    expect(k.dmesg.lines({ timestamps: false })).toContain(
      "sysfs: cannot create duplicate filename '/kernel/iommu_groups/0'",
    );
    expect(k.sysfs.createDir('/sys/nosuch/x')).toBe(-ENOENT);
    expect(k.sysfs.remove('/sys/devices/platform/p/iommu_group')).toBe(0);
    expect(k.sysfs.remove('/sys/devices/platform/p/iommu_group')).toBe(-ENOENT);
    expect(() => k.sysfs.createLink('/sys/kernel/x', 'relative')).toThrow(/SIM_ERR_SYSFS_BAD_PATH/);
  });
});

describe('a write with a path that is not a string', () => {
  const paths: [string, unknown][] = [
    ['an array', ['/sys/bus/pci/drivers_autoprobe']],
    ['an object with toString', { toString: () => '/sys/bus/pci/drivers_autoprobe' }],
    ['Object.create(null)', Object.create(null)],
    ['a String object', new String('/sys/bus/pci/drivers_autoprobe')],
    ['a relative path', 'bus/pci/drivers_autoprobe'],
  ];
  for (const [what, path] of paths) {
    it(`${what}: SIM_ERR_SYSFS_BAD_PATH before anything runs; the kernel lives on`, () => {
      const k = createKernel();
      let error: unknown = null;
      try {
        k.sysfs.write(path as string, '0');
      } catch (e) {
        error = e;
      }
      expect(SimError.isInstance(error) ? error.code : error).toBe('SIM_ERR_SYSFS_BAD_PATH');
      expect(k.oops).toBeNull();
      expect(k.bus('pci').driversAutoprobe).toBe(true);
      expect(k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0')).toBe(1);
    });
  }
});
