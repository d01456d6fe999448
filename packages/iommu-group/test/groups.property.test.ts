import { createKernel } from '@sim/core';
import { iommuGroupPlugin, iommuGroups } from '@sim/iommu-group';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SLOTS = ['0000:00:02.0', '0000:00:02.1', '0000:00:03.0', '0000:00:04.0', '0000:00:04.1', '0000:00:05.0'];

describe('groups under any sequence of hot-plug and removal', () => {
  it('keep ida ids, sysfs and membership consistent, for every rule', () => {
    const op = fc.record({ add: fc.boolean(), slot: fc.nat(SLOTS.length - 1) });
    fc.assert(
      fc.property(fc.constantFrom('device' as const, 'slot' as const), fc.array(op, { maxLength: 40 }), (rule, ops) => {
        const k = createKernel({ dynamicDebug: false, plugins: [iommuGroupPlugin({ rule })] });
        // The model: which key holds which id; ids come from "lowest free".
        const idOf = new Map<string, number>();
        const members = new Map<string, Set<string>>();
        const keyOf = (a: string) => (rule === 'slot' ? a.slice(0, 10) : a);
        for (const { add, slot } of ops) {
          const address = SLOTS[slot]!;
          const present = k.device(address) !== undefined;
          const key = keyOf(address);
          if (add && !present) {
            expect(k.addDevice({ bus: 'pci', address, vendor: 0x8086, device: 0x1000 + slot })).toBe(0);
            if (!idOf.has(key)) {
              let id = 0;
              const used = new Set(idOf.values());
              while (used.has(id)) id++;
              idOf.set(key, id);
              members.set(key, new Set());
            }
            members.get(key)!.add(address);
          } else if (!add && present) {
            expect(k.removeDevice(address)).toBe(0);
            members.get(key)!.delete(address);
            if (members.get(key)!.size === 0) {
              idOf.delete(key);
              members.delete(key);
            }
          }
          // Every device is in the group of its key, with both links; the directories are the live groups.
          for (const [k2, set] of members) {
            const id = idOf.get(k2)!;
            for (const a of set) {
              expect(k.device(a)!.iommuGroup?.id).toBe(id);
              expect(k.sysfs.realpath(`/sys/bus/pci/devices/${a}/iommu_group`)).toBe(`/sys/kernel/iommu_groups/${id}`);
            }
            expect(k.sysfs.list(`/sys/kernel/iommu_groups/${id}/devices`)).toEqual([...set].sort());
          }
          const ids = [...idOf.values()].sort((a, b) => a - b);
          expect(k.sysfs.list('/sys/kernel/iommu_groups')).toEqual(ids.map(String).sort());
          expect(iommuGroups(k).map((g) => g.id)).toEqual(ids);
          // No reference leaks: each live group is held by its devices only.
          for (const g of iommuGroups(k)) expect(g.refcount).toBe(g.devices().length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
