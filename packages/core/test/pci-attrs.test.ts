import { CORE_PROFILES, createKernel, EIO, type Kernel } from '@sim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ROOT_PORT = {
  bus: 'pci',
  address: '0000:00:01.0',
  vendor: 0x8086,
  device: 0x1901,
  class: 0x060400,
  hdrType: 1,
  pcie: true,
  revision: 0x05,
  irq: 120,
} as const;
const GPU = {
  bus: 'pci',
  address: '0000:01:00.0',
  vendor: 0x10de,
  device: 0x1b80,
  subsystemVendor: 0x1043,
  subsystemDevice: 0x85aa,
  class: 0x030000,
  revision: 0xa1,
  irq: 16,
  pcie: true,
  parent: '0000:00:01.0',
} as const;

function machine(profile: string): Kernel {
  const k = createKernel({ profile });
  k.addDevice({ bus: 'pci', address: '0000:00:00.0', vendor: 0x8086, device: 0x191f, class: 0x060000 });
  k.addDevice(ROOT_PORT);
  k.addDevice(GPU);
  return k;
}

const word = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);

describe.each(CORE_PROFILES.map((p) => p.name))('PCI attributes real tools read (%s)', (profile) => {
  it('config holds the standard header: ids, class, revision, header type, subsystem ids, interrupt', () => {
    const k = machine(profile);
    const b = k.sysfs.readBytes('/sys/bus/pci/devices/0000:01:00.0/config') as Uint8Array;
    expect(b.length).toBe(4096);
    expect(word(b, 0x00)).toBe(0x10de);
    expect(word(b, 0x02)).toBe(0x1b80);
    expect(b[0x08]).toBe(0xa1);
    expect([b[0x09], b[0x0a], b[0x0b]]).toEqual([0x00, 0x00, 0x03]);
    expect(b[0x0e]).toBe(0);
    expect(word(b, 0x2c)).toBe(0x1043);
    expect(word(b, 0x2e)).toBe(0x85aa);
    expect([b[0x3c], b[0x3d]]).toEqual([16, 1]);
    k.close();
  });

  it('a PCIe function has a capability list with a PCI Express capability; a conventional one has 256 bytes and none', () => {
    const k = machine(profile);
    const b = k.sysfs.readBytes('/sys/bus/pci/devices/0000:01:00.0/config') as Uint8Array;
    expect(word(b, 0x06) & 0x10).toBe(0x10);
    const cap = b[0x34]!;
    expect(b[cap]).toBe(0x10);
    expect(b[cap + 1]).toBe(0); // the last capability
    expect((word(b, cap + 2) >> 4) & 0xf).toBe(0); // an endpoint
    const port = k.sysfs.readBytes('/sys/bus/pci/devices/0000:00:01.0/config') as Uint8Array;
    expect((word(port, port[0x34]! + 2) >> 4) & 0xf).toBe(4); // a root port
    const host = k.sysfs.readBytes('/sys/bus/pci/devices/0000:00:00.0/config') as Uint8Array;
    expect(host.length).toBe(256);
    expect(word(host, 0x06) & 0x10).toBe(0);
    expect(host[0x34]).toBe(0);
    expect(k.sysfs.stat('/sys/bus/pci/devices/0000:00:00.0/config')).toEqual({ type: 'file', mode: 0o644, size: 256 });
    k.close();
  });

  it("a bridge's config has its primary, secondary and subordinate bus numbers", () => {
    const k = machine(profile);
    const b = k.sysfs.readBytes('/sys/bus/pci/devices/0000:00:01.0/config') as Uint8Array;
    expect(b[0x0e]).toBe(1);
    expect([b[0x18], b[0x19], b[0x1a]]).toEqual([0, 1, 1]);
    k.close();
  });

  it('revision, irq, modalias and resource read as pci-sysfs.c prints them', () => {
    const k = machine(profile);
    const at = '/sys/bus/pci/devices/0000:01:00.0';
    expect(k.sysfs.read(`${at}/revision`)).toBe('0xa1\n');
    expect(k.sysfs.read(`${at}/irq`)).toBe('16\n');
    expect(k.sysfs.read(`${at}/modalias`)).toBe('pci:v000010DEd00001B80sv00001043sd000085AAbc03sc00i00\n');
    const zero = '0x0000000000000000 0x0000000000000000 0x0000000000000000\n';
    expect(k.sysfs.read(`${at}/resource`)).toBe(zero.repeat(13));
    expect(k.sysfs.read('/sys/bus/pci/devices/0000:00:01.0/resource')).toBe(zero.repeat(17));
    expect(k.sysfs.read('/sys/bus/pci/devices/0000:00:00.0/revision')).toBe('0x00\n');
    k.close();
  });

  it('devices nest under their bridge and /sys/bus/pci/devices links to them relatively', () => {
    const k = machine(profile);
    expect(k.sysfs.readlink('/sys/bus/pci/devices/0000:01:00.0')).toBe(
      '../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0',
    );
    expect(k.sysfs.list('/sys/devices/pci0000:00/0000:00:01.0')).toContain('0000:01:00.0');
    k.close();
  });

  it('/sys/module has a directory per registered driver (named as KBUILD_MODNAME) with links to its drivers', () => {
    const k = machine(profile);
    expect(k.sysfs.exists('/sys/module/vfio_pci')).toBe(false);
    k.registerDriver({ name: 'vfio-pci', bus: 'pci', ids: [] });
    k.registerDriver({ name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }] });
    expect(k.sysfs.list('/sys/module')).toEqual(['snd_hda_intel', 'vfio_pci']);
    expect(k.sysfs.read('/sys/module/vfio_pci/initstate')).toBe('live\n');
    expect(k.sysfs.readlink('/sys/module/vfio_pci/drivers/pci:vfio-pci')).toBe('../../../bus/pci/drivers/vfio-pci');
    k.unregisterDriver('vfio-pci', 'pci');
    expect(k.sysfs.exists('/sys/module/vfio_pci')).toBe(false);
    k.close();
  });
});

describe('PCI device spec: revision, irq, pcie', () => {
  it('rejects bad values with the field named, leaving the machine untouched', () => {
    const k = createKernel();
    expect(() => k.addDevice({ ...GPU, parent: undefined, revision: 0x100 })).toThrow(/revision must be an integer/);
    expect(() => k.addDevice({ ...GPU, parent: undefined, irq: -1 })).toThrow(/irq must be an integer/);
    expect(() => k.addDevice({ ...GPU, parent: undefined, pcie: 'yes' as never })).toThrow(/pcie \(true or false\)/);
    expect(k.devices()).toEqual([]);
    k.close();
  });

  it('a removed and rescanned function keeps its revision and config space', () => {
    const k = machine('v4.12');
    const at = '/sys/bus/pci/devices/0000:01:00.0';
    const before = k.sysfs.readBytes(`${at}/config`);
    expect(k.sysfs.write(`${at}/remove`, '1\n')).toBe(2);
    expect(k.sysfs.readBytes(`${at}/config`)).toBeLessThan(0);
    k.sysfs.write('/sys/bus/pci/rescan', '1\n');
    expect(k.sysfs.read(`${at}/revision`)).toBe('0xa1\n');
    expect(k.sysfs.readBytes(`${at}/config`)).toEqual(before);
    k.close();
  });

  it('config reads as bytes; a text read gives one char per byte; writing it is -EIO', () => {
    const k = machine('v4.12');
    const text = k.sysfs.read('/sys/bus/pci/devices/0000:00:00.0/config') as string;
    expect(text.length).toBe(256);
    expect(text.charCodeAt(0)).toBe(0x86);
    expect(k.sysfs.readBytes('/sys/bus/pci/devices/0000:00:00.0/vendor')).toEqual(new TextEncoder().encode('0x8086\n'));
    expect(k.sysfs.write('/sys/bus/pci/devices/0000:00:00.0/config', 'x')).toBe(-EIO);
    k.close();
  });

  it('property: the header of any function reads back its ids, class and revision', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xfffe }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffff }),
        fc.integer({ min: 0, max: 0xff }),
        fc.boolean(),
        (vendor, device, cls, revision, pcie) => {
          const k = createKernel();
          k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor, device, class: cls, revision, pcie });
          const b = k.sysfs.readBytes('/sys/bus/pci/devices/0000:00:02.0/config') as Uint8Array;
          k.close();
          return (
            b.length === (pcie ? 4096 : 256) &&
            word(b, 0) === vendor &&
            word(b, 2) === device &&
            b[8] === revision &&
            (b[9]! | (b[10]! << 8) | (b[11]! << 16)) === cls
          );
        },
      ),
      { numRuns: 50 },
    );
  });
});
