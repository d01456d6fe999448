import { createKernel, type Kernel } from '@sim/core';
import { findIommuGroup, iommuGroupPlugin, iommuGroups } from '@sim/iommu-group';
import { vfioGroups, vfioPlugin } from '@sim/vfio';
import { describe, expect, it } from 'vitest';

// After a device is removed, nothing of it may stay reachable unless the kernel would keep it (and then bounded):
// the heap after N add/remove cycles of each bus, with iommu-group and vfio loaded, must not grow with N.

const gc = (globalThis as { gc?: () => void }).gc;

/** The heap in use after full collections (run with --expose-gc: the memory project's execArgv). */
function heapUsed(): number {
  if (gc === undefined) throw new Error('the memory suite needs --expose-gc (run it through its vitest project)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const CYCLES = 20_000;
/** Bytes per cycle the heap may grow by: measurement noise, far below any per-device record (> 200 B). */
const BYTES_PER_CYCLE = 32;

/** A kernel with the IOMMU group layer on PCI and platform, vfio (vfio-pci takes the GPU's id) and a small log. */
function kernel(): Kernel {
  return createKernel({
    dynamicDebug: false,
    logRecords: 256,
    plugins: [iommuGroupPlugin({ buses: ['pci', 'platform'] }), vfioPlugin({ ids: '10de:1b80' })],
  });
}

const address = (i: number) => `0000:0${(i >> 8) & 7}:${((i >> 3) & 31).toString(16).padStart(2, '0')}.${i & 7}`;

const BUSES: [string, (k: Kernel, i: number) => void][] = [
  [
    'pci: the same slot, bound to vfio-pci, its /dev/vfio group opened and closed',
    (k) => {
      k.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 });
      const id = k.device('0000:01:00.0')!.iommuGroup!.id;
      const fd = k.dev.open(`/dev/vfio/${id}`);
      if (typeof fd !== 'number' || fd < 0) throw new Error(`open /dev/vfio/${id}: ${fd}`);
      k.dev.close(fd);
      k.removeDevice('0000:01:00.0');
    },
  ],
  [
    'pci: 2048 slots in turn, unbound',
    (k, i) => {
      k.addDevice({ bus: 'pci', address: address(i), vendor: 0x8086, device: 0x10fb, class: 0x020000 });
      k.removeDevice(address(i));
    },
  ],
  [
    'pci: a slot removed through sysfs and found again by a rescan, then unplugged',
    (k) => {
      k.addDevice({ bus: 'pci', address: '0000:02:00.0', vendor: 0x8086, device: 0x10fb });
      k.sysfs.write('/sys/bus/pci/devices/0000:02:00.0/remove', '1');
      k.sysfs.write('/sys/bus/pci/rescan', '1');
      k.removeDevice('0000:02:00.0');
    },
  ],
  [
    'platform: a device in an IOMMU group of its own',
    (k) => {
      k.addDevice({ bus: 'platform', name: 'uart', id: 0 });
      k.removeDevice('uart.0');
    },
  ],
  [
    'i2c: an adapter and a client on it',
    (k) => {
      k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'smbus', nr: 0 });
      k.addDevice({ bus: 'i2c', kind: 'client', name: 'eeprom', adapter: 0, addr: 0x50 });
      k.removeDevice('i2c-0');
    },
  ],
];

describe('memory after add/remove cycles', () => {
  for (const [what, cycle] of BUSES) {
    it(`${what}: the heap does not grow with the number of cycles`, () => {
      const k = kernel();
      for (let i = 0; i < 2_000; i++) cycle(k, i); // warm-up: the log ring full, the JIT settled
      const start = heapUsed();
      for (let i = 0; i < CYCLES; i++) cycle(k, i);
      const first = heapUsed();
      for (let i = 0; i < CYCLES; i++) cycle(k, i);
      const second = heapUsed();
      expect(k.oops).toBeNull();
      expect(k.devices()).toEqual([]);
      expect(iommuGroups(k)).toEqual([]);
      expect(findIommuGroup(k, 0)).toBeUndefined();
      expect(vfioGroups(k)).toEqual([]);
      expect(k.dev.openFiles()).toEqual([]);
      const perCycle = (second - start) / (2 * CYCLES);
      const growth = { start, first, second, perCycle: Math.round(perCycle) };
      expect(growth.perCycle, JSON.stringify(growth)).toBeLessThan(BYTES_PER_CYCLE);
      expect(second - first, JSON.stringify(growth)).toBeLessThan(BYTES_PER_CYCLE * CYCLES);
    });
  }
});
