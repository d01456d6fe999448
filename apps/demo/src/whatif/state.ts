import { type Kernel, SimError } from '@sim/core';
import { iommuGroups } from '@sim/iommu-group';
import { explainGroup } from '@sim/vfio';

/** One device at a moment: its place in the machine, its driver and, where vfio explains groups, its verdict. */
export interface DeviceState {
  readonly name: string;
  readonly bus: string;
  /** The parent device (the bridge it sits behind), or null. */
  readonly parent: string | null;
  readonly driver: string | null;
  readonly group: number | null;
  /** Whether it keeps its IOMMU group viable (vfio's verdict), or null where nothing judges it. */
  readonly viable: boolean | null;
  /** The verdict in words, or null. */
  readonly reason: string | null;
}

/** One IOMMU group at a moment. */
export interface GroupState {
  readonly id: number;
  readonly devices: readonly string[];
  /** VFIO_GROUP_GET_STATUS's VIABLE, or null without vfio. */
  readonly viable: boolean | null;
  /** Userspace owns it (v4.12: a container is set; 6.12: a DMA owner claimed it). */
  readonly live: boolean;
  /** Who owns it, in words: `the kernel`, `userspace (/dev/vfio/1, container set)` ... */
  readonly owner: string;
}

/** The machine at one moment (after the boot, after a step). */
export interface MachineState {
  readonly devices: readonly DeviceState[];
  readonly groups: readonly GroupState[];
}

/** Reads the machine off a live (or dead: reads still work) kernel. Plugins not in use are not asked. */
export function machineState(kernel: Kernel): MachineState {
  const plugins = kernel.plugins();
  const verdicts = new Map<string, { viable: boolean; reason: string }>();
  const groups: GroupState[] = [];
  if (plugins.includes('iommu-group')) {
    for (const g of iommuGroups(kernel)) {
      const members = g.devices().map((d) => d.name);
      let e: ReturnType<typeof explainGroup> | null = null;
      if (plugins.includes('vfio')) {
        try {
          e = explainGroup(kernel, g.id);
        } catch (err) {
          if (!SimError.isInstance(err)) throw err;
        }
      }
      for (const d of e?.devices ?? []) verdicts.set(d.device, { viable: d.viable, reason: d.reason });
      groups.push({
        id: g.id,
        devices: members,
        viable: e?.viable ?? null,
        live: e?.live ?? false,
        owner: ownerText(e),
      });
    }
  }
  const devices = kernel.devices().map((d) => {
    const v = verdicts.get(d.name);
    return {
      name: d.name,
      bus: d.bus.name,
      parent: d.parent?.name ?? null,
      driver: d.driver?.name ?? null,
      group: d.iommuGroup?.id ?? null,
      viable: v?.viable ?? null,
      reason: v?.reason ?? null,
    };
  });
  return { devices, groups };
}

function ownerText(e: ReturnType<typeof explainGroup> | null): string {
  if (e === null) return 'the kernel';
  if (e.ownership !== null) {
    return e.ownership.owner === null
      ? `the kernel (${e.ownership.ownerCnt} driver${e.ownership.ownerCnt === 1 ? '' : 's'} using the DMA API)`
      : `userspace (${e.ownership.owner})`;
  }
  if (e.live && e.vfio !== null) return `userspace (${e.vfio.node}, container set)`;
  if (e.vfio?.opened) return `the kernel (${e.vfio.node} open, no container)`;
  return 'the kernel';
}
