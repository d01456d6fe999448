import {
  type Device,
  type Driver,
  isPciDevice,
  type Kernel,
  type KernelBase,
  PCI_ANY_ID,
  PCI_HEADER_TYPE_NORMAL,
  type PciDeviceId,
  SimError,
  STOP_BIND_ON_NOTIFY_BAD,
} from '@sim/core';
import { findIommuGroup, type IommuDomainKind, type IommuGroup, iommuGroups, PERCOLATE } from '@sim/iommu-group';
import { VETO_BIND, VFIO_BUG_WHERE, VFIO_DRIVER_WHITELIST } from './constants.ts';
import { isUnbindBlocked, isVfioDriver, type VfioGroup, vfioGroupDeviceFds, vfioGroupOf, vfioState } from './vfio.ts';

/**
 * Why a device keeps its group viable or not: the clauses of vfio_dev_viable() (drivers/vfio/vfio.c), in the order
 * it tests them, and the one way to fail.
 */
export type DeviceState =
  /** On the unbound list: between vfio_del_group_dev() and UNBOUND_DRIVER of a vfio driver. Viable. */
  | 'unbound-list'
  /** dev->driver is NULL. Viable. */
  | 'unbound'
  /** A PCI bridge or CardBus bridge (header type not normal): viable whatever its driver. */
  | 'bridge'
  /** Bound to a whitelisted driver (pci-stub). Viable. */
  | 'whitelisted'
  /** Bound to a vfio bus driver that registered it with the group (vfio-pci). Viable. */
  | 'vfio-driver'
  /** Bound to any other driver: a host driver. Not viable. */
  | 'host-driver'
  /** 6.12: bound to a driver_managed_dma driver (pci-stub, pcieport ...): it leaves DMA ownership alone. */
  | 'driver-managed'
  /** 6.12: bound to a driver that uses the DMA API: it holds the group's default domain (one of owner_cnt). */
  | 'dma-api';

/** One device of the group and its verdict. */
export interface DeviceVerdict {
  readonly device: string;
  /** Its driver's name, or null. */
  readonly driver: string | null;
  readonly viable: boolean;
  readonly state: DeviceState;
  /** The reason, in words. */
  readonly reason: string;
  /** For a device that is not viable: what to type to make it viable; else null. */
  readonly fix: string | null;
}

/** What a profile does with a bind. */
export interface BindOutcome {
  readonly profile: string;
  /** 'bound' (the bind completes, isolation is not at stake or is broken silently), 'bug' or 'refused'. */
  readonly result: 'bound' | 'bug' | 'refused';
  readonly text: string;
  /** True for the profile this kernel runs. */
  readonly current: boolean;
}

/** A bind that would put a host driver on a device of the group. */
export interface IsolationRisk {
  readonly device: string;
  /** The host driver that would bind. */
  readonly driver: string;
  /** Why it would match the device. */
  readonly match: string;
  /** What has to happen first (nothing, an unbind, clearing driver_override), and what triggers it. */
  readonly how: string;
  /** Whether a bind breaks isolation right now (the group is live) or only once it is. */
  readonly breaksIsolationNow: boolean;
  /** What each known profile does with that bind now. */
  readonly outcomes: readonly BindOutcome[];
}

/** The vfio side of the group. */
export interface VfioGroupSummary {
  /** /dev/vfio/N. */
  readonly node: string;
  /** /dev/vfio/N is open. */
  readonly opened: boolean;
  /** VFIO_GROUP_SET_CONTAINER done and not undone. */
  readonly containerSet: boolean;
  /** container_users: 1 for the container, +1 per device fd. */
  readonly containerUsers: number;
  /** The open device fds. */
  readonly deviceFds: readonly number[];
  /** The container's IOMMU backend (VFIO_SET_IOMMU), or null. */
  readonly iommuBackend: string | null;
}

/** Who holds the group's DMA (6.12's struct iommu_group: owner, owner_cnt, domain). */
export interface DmaOwnership {
  /** owner_cnt: kernel drivers using the default domain, or 1 for userspace's claim. */
  readonly ownerCnt: number;
  /** The owner that claimed the group (vfio's /dev/vfio/N), or null while the kernel owns it. */
  readonly owner: string | null;
  readonly domain: IommuDomainKind;
  /** The devices whose drivers hold the default domain, as `device (driver)`. */
  readonly kernelUsers: readonly string[];
}

/** explainGroup()'s answer. */
export interface GroupExplanation {
  /** The IOMMU group id. */
  readonly group: number;
  readonly profile: string;
  /** The profile's base kernel: '4.12' explains by viability, '6.12' by DMA ownership. */
  readonly base: KernelBase;
  /** 6.12: who holds the group's DMA; null on v4.12. */
  readonly ownership: DmaOwnership | null;
  /** null when no vfio bus driver ever registered a device of this group (vfio hears nothing of it). */
  readonly vfio: VfioGroupSummary | null;
  /**
   * Userspace owns the group: v4.12, container_users > 0 (a host driver on any of its devices breaks isolation);
   * 6.12, a DMA owner claimed it (a driver that uses the DMA API cannot bind: -EBUSY).
   */
  readonly live: boolean;
  /** VFIO_GROUP_GET_STATUS's VIABLE flag: v4.12's vfio_group_viable(); 6.12's container or owner_cnt == 0. */
  readonly viable: boolean;
  readonly devices: readonly DeviceVerdict[];
  readonly risks: readonly IsolationRisk[];
  /** Other things worth knowing about the group's state. */
  readonly notes: readonly string[];
  /** All of the above as text. */
  readonly text: string;
}

/** The verdict on one device, as vfio_dev_viable() would reach it. */
function verdict(kernel: Kernel, vgroup: VfioGroup | undefined, dev: Device): DeviceVerdict {
  const drv = dev.driver;
  const base = { device: dev.name, driver: drv?.name ?? null };
  const bus = dev.bus.name;
  if (vgroup?.unbound().includes(dev)) {
    const blocked = isUnbindBlocked(kernel, dev);
    return {
      ...base,
      viable: true,
      state: 'unbound-list',
      reason: blocked
        ? `its unbind from ${drv?.name ?? 'a vfio driver'} waits in vfio_del_group_dev() for userspace to close the device fd; on the unbound list meanwhile`
        : `being unbound from ${drv?.name ?? 'a vfio driver'} (on the unbound list until UNBOUND_DRIVER)`,
      fix: null,
    };
  }
  if (drv === null) return { ...base, viable: true, state: 'unbound', reason: 'no driver', fix: null };
  if (isPciDevice(dev) && dev.hdrType !== PCI_HEADER_TYPE_NORMAL) {
    return {
      ...base,
      viable: true,
      state: 'bridge',
      reason: `a PCI ${dev.hdrType === 2 ? 'CardBus bridge' : 'bridge'} (header type ${dev.hdrType}): viable whatever its driver`,
      fix: null,
    };
  }
  if (VFIO_DRIVER_WHITELIST.includes(drv.name)) {
    return { ...base, viable: true, state: 'whitelisted', reason: `${drv.name} is on vfio's whitelist`, fix: null };
  }
  if (vgroup?.devices().includes(dev)) {
    return {
      ...base,
      viable: true,
      state: 'vfio-driver',
      reason: `a vfio device of this group (${drv.name})`,
      fix: null,
    };
  }
  const fix =
    `echo ${dev.name} > /sys/bus/${bus}/drivers/${drv.name}/unbind, then give it to vfio-pci ` +
    `(echo vfio-pci > /sys/bus/${bus}/devices/${dev.name}/driver_override; echo ${dev.name} > /sys/bus/${bus}/drivers_probe) or to pci-stub`;
  return {
    ...base,
    viable: false,
    state: 'host-driver',
    reason: isVfioDriver(kernel, drv)
      ? `bound to ${drv.name} but not registered with this vfio group`
      : `bound to host driver ${drv.name}`,
    fix,
  };
}

/**
 * The verdict on one device on 6.12: whether it stands in the way of DMA ownership. A driver that uses the DMA API
 * holds the group's default domain (iommu_device_use_default_domain()), so VFIO_GROUP_SET_CONTAINER gets -EPERM;
 * no driver, vfio's own and driver_managed_dma drivers leave ownership alone.
 */
function verdictModern(kernel: Kernel, vgroup: VfioGroup | undefined, dev: Device): DeviceVerdict {
  const drv = dev.driver;
  const base = { device: dev.name, driver: drv?.name ?? null };
  const bus = dev.bus.name;
  if (drv === null) return { ...base, viable: true, state: 'unbound', reason: 'no driver', fix: null };
  if (vgroup?.devices().includes(dev)) {
    return {
      ...base,
      viable: true,
      state: 'vfio-driver',
      reason: `a vfio device of this group (${drv.name}, driver_managed_dma)`,
      fix: null,
    };
  }
  if (isUnbindBlocked(kernel, dev)) {
    return {
      ...base,
      viable: true,
      state: 'vfio-driver',
      reason: `its unbind from ${drv.name} waits in vfio_unregister_group_dev() for userspace to close the device fd`,
      fix: null,
    };
  }
  if (drv.driverManagedDma) {
    return {
      ...base,
      viable: true,
      state: 'driver-managed',
      reason: `${drv.name} is driver_managed_dma: it does not use the DMA API and leaves ownership alone`,
      fix: null,
    };
  }
  return {
    ...base,
    viable: false,
    state: 'dma-api',
    reason: `${drv.name} uses the DMA API: it holds the group's default domain, so userspace cannot claim the group (-EPERM)`,
    fix:
      `echo ${dev.name} > /sys/bus/${bus}/drivers/${drv.name}/unbind, then give it to vfio-pci ` +
      `(echo vfio-pci > /sys/bus/${bus}/devices/${dev.name}/driver_override; echo ${dev.name} > /sys/bus/${bus}/drivers_probe) or to pci-stub`,
  };
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** pci_match_one_device(): whether a PCI id entry matches the device. */
function pciIdMatches(id: PciDeviceId, dev: Device): boolean {
  if (!isPciDevice(dev)) return false;
  const any = (want: number | undefined, have: number) => want === undefined || want === PCI_ANY_ID || want === have;
  return (
    any(id.vendor, dev.vendor) &&
    any(id.device, dev.device) &&
    any(id.subvendor, dev.subsystemVendor) &&
    any(id.subdevice, dev.subsystemDevice) &&
    (((id.class ?? 0) ^ dev.class) & (id.classMask ?? 0)) === 0
  );
}

/** Why `drv` would match `dev` apart from driver_override (a dynamic or static id), or null. */
function idMatch(drv: Driver, dev: Device): string | null {
  if (!isPciDevice(dev)) return null;
  const show = (id: PciDeviceId) =>
    `${id.vendor === PCI_ANY_ID ? '*' : hex4(id.vendor)}:${id.device === PCI_ANY_ID ? '*' : hex4(id.device)}`;
  for (const id of drv.dynids()) if (pciIdMatches(id, dev)) return `its dynamic id ${show(id)} (new_id)`;
  for (const id of (drv.ids ?? []) as PciDeviceId[]) if (pciIdMatches(id, dev)) return `its id table entry ${show(id)}`;
  return null;
}

/**
 * What a profile (its flags, on its base kernel) does with a host-driver bind into a group, live (owned by
 * userspace) or not.
 */
export function bindOutcome(
  flags: readonly string[],
  live: boolean,
  driver: string,
  device: string,
  base: KernelBase = '4.12',
): { result: BindOutcome['result']; text: string } {
  if (base === '6.12') {
    return live
      ? {
          result: 'refused',
          text: `dma_configure() refuses it: iommu_device_use_default_domain() returns -EBUSY because userspace owns the group; no bus event, ${driver}'s probe never runs, ${device} stays unbound, a bind write gets -EBUSY`,
        }
      : {
          result: 'bound',
          text: `${driver} binds and takes the group's default domain (owner_cnt + 1): VFIO_GROUP_SET_CONTAINER then gets -EPERM until it is unbound`,
        };
  }
  if (!live) {
    return {
      result: 'bound',
      text: `${driver} binds: the group is not in use (container_users == 0), vfio does not care`,
    };
  }
  const stop = flags.includes(STOP_BIND_ON_NOTIFY_BAD);
  const percolate = flags.includes(PERCOLATE);
  const veto = flags.includes(VETO_BIND);
  if (stop && percolate && veto) {
    return {
      result: 'refused',
      text: `vfio answers BIND_DRIVER with NOTIFY_BAD, iommu_bus_notifier passes it on, driver_sysfs_add() returns -EINVAL: ${driver}'s probe never runs, ${device} stays unbound, a bind write gets -ENODEV`,
    };
  }
  const missing = !veto
    ? 'vfio does not object at BIND_DRIVER'
    : !percolate
      ? "vfio's NOTIFY_BAD is dropped by iommu_bus_notifier (no percolate)"
      : "vfio's NOTIFY_BAD stops the bus chain, but driver_sysfs_add() ignores it (no stopBindOnNotifyBad)";
  return {
    result: 'bug',
    text: `${driver}'s probe runs, then BUG at ${VFIO_BUG_WHERE} on BOUND_DRIVER, the kernel dies (${missing})`,
  };
}

/** The binds that would put a host driver on a device of the group, with what each profile does. */
function risks(kernel: Kernel, group: IommuGroup, live: boolean): IsolationRisk[] {
  const out: IsolationRisk[] = [];
  // In the order history ran: the v4.12 profiles (core's, then the plugins'), then 6.12.
  const rank = (base: KernelBase | undefined) => (base === '6.12' ? 1 : 0);
  const profiles = [...kernel.knownProfiles()].sort((a, b) => rank(a.base) - rank(b.base));
  const modern = kernel.version.dmaOwnership;
  for (const dev of group.devices()) {
    // v4.12 whitelists bridges by header type; 6.12 exempts only drivers that are driver_managed_dma.
    if (!modern && isPciDevice(dev) && dev.hdrType !== PCI_HEADER_TYPE_NORMAL) continue;
    const bus = dev.bus.name;
    const current = dev.driver;
    for (const drv of kernel.bus(bus).drivers()) {
      if (drv === current || isVfioDriver(kernel, drv)) continue;
      if (modern ? drv.driverManagedDma : VFIO_DRIVER_WHITELIST.includes(drv.name)) continue;
      const byId = idMatch(drv, dev);
      const override = dev.driverOverride;
      if (byId === null && override !== drv.name) continue;
      const match = override === drv.name ? `driver_override is '${drv.name}'` : byId!;
      const steps: string[] = [];
      if (current !== null) {
        steps.push(
          isUnbindBlocked(kernel, dev)
            ? `its stuck unbind from ${current.name} finishes (close the device fd, unbind again)`
            : `it is unbound from ${current.name}`,
        );
      }
      if (override !== null && override !== drv.name) steps.push(`its driver_override ('${override}') is cleared`);
      const trigger = `echo ${dev.name} > /sys/bus/${bus}/drivers/${drv.name}/bind, or an autoprobe (drivers_probe, a rescan, loading ${drv.name})`;
      const how = steps.length === 0 ? trigger : `once ${steps.join(' and ')}: ${trigger}`;
      out.push({
        device: dev.name,
        driver: drv.name,
        match,
        how,
        // On 6.12 no bind breaks isolation: an owned group refuses it.
        breaksIsolationNow: live && !modern,
        outcomes: profiles.map((p) => ({
          profile: p.name,
          current: p.name === kernel.profile.name,
          ...bindOutcome(p.flags, live, drv.name, dev.name, p.base ?? '4.12'),
        })),
      });
    }
  }
  return out;
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

/** The explanation as text (what `explainGroup(...).text` holds). */
export function formatGroupExplanation(e: Omit<GroupExplanation, 'text'>): string {
  const lines: string[] = [];
  const modern = e.ownership !== null;
  lines.push(`IOMMU group ${e.group} (/sys/kernel/iommu_groups/${e.group}), profile ${e.profile}`);
  if (e.vfio === null) {
    lines.push(
      modern
        ? 'vfio: no vfio group (no device of this group is bound to a vfio driver)'
        : 'vfio: no vfio group (no device of this group was ever given to a vfio driver)',
    );
  } else {
    const v = e.vfio;
    const users =
      v.containerUsers === 0
        ? 'no container'
        : `container set, container_users ${v.containerUsers} (the group${v.deviceFds.length > 0 ? ` + device fd ${v.deviceFds.join(', ')}` : ''})`;
    lines.push(
      `vfio: ${v.node} ${v.opened ? 'open' : 'closed'}, ${users}${v.iommuBackend !== null ? `, IOMMU backend ${v.iommuBackend}` : ''}`,
    );
  }
  if (e.ownership !== null) {
    const o = e.ownership;
    const who =
      o.owner !== null
        ? `userspace (vfio group ${o.owner}, claimed at VFIO_GROUP_SET_CONTAINER)`
        : `the kernel${o.kernelUsers.length === 0 ? '' : `: ${o.kernelUsers.join(', ')} use${o.kernelUsers.length === 1 ? 's' : ''} the DMA API`}`;
    lines.push(`DMA owner: ${who}; owner_cnt ${o.ownerCnt}, ${o.domain} domain`);
    lines.push(
      e.live
        ? 'live: yes - userspace owns this group; dma_configure() refuses every driver that uses the DMA API (-EBUSY), before any bus event'
        : 'live: no - nobody claimed the group; drivers that use the DMA API bind and count in owner_cnt',
    );
    lines.push(
      `viable: ${e.viable ? 'yes' : 'no'} (VFIO_GROUP_GET_STATUS: ${e.vfio?.containerSet ? 'a container is set' : o.ownerCnt === 0 ? 'owner_cnt is 0' : 'owner_cnt is not 0'})`,
    );
  } else {
    lines.push(
      e.live
        ? 'live: yes - userspace owns this group; a host driver on any of its devices breaks isolation'
        : 'live: no - container_users is 0; vfio does not care what binds here',
    );
    lines.push(`viable: ${e.viable ? 'yes' : 'no'}`);
  }
  lines.push('');
  lines.push('devices:');
  const w = Math.max(...e.devices.map((d) => d.device.length), 6) + 2;
  const dw = Math.max(...e.devices.map((d) => (d.driver ?? '(none)').length), 6) + 2;
  for (const d of e.devices) {
    const mark = modern ? (d.viable ? 'ok' : 'BLOCKS') : d.viable ? 'viable' : 'NOT viable';
    lines.push(`  ${pad(d.device, w)}${pad(d.driver ?? '(none)', dw)}${pad(mark, 12)}${d.reason}`);
    if (d.fix !== null) lines.push(`  ${' '.repeat(w)}fix: ${d.fix}`);
  }
  lines.push('');
  if (e.risks.length === 0) {
    lines.push(
      modern
        ? 'binds of DMA-API drivers: none of the registered drivers would match'
        : 'binds that would break isolation: none of the registered drivers would match',
    );
  } else {
    lines.push(
      modern
        ? e.live
          ? 'binds of DMA-API drivers (refused while userspace owns the group):'
          : 'binds of DMA-API drivers (each would block VFIO_GROUP_SET_CONTAINER):'
        : e.live
          ? 'binds that would break isolation:'
          : 'binds that would break isolation once the group is live:',
    );
    for (const r of e.risks) {
      lines.push(`  ${r.device} -> ${r.driver} (${r.match})`);
      lines.push(`    how: ${r.how}`);
      const label = (o: BindOutcome) => `${o.profile}${o.current ? ' (this)' : ''}`;
      const pw = Math.max(...r.outcomes.map((o) => label(o).length)) + 2;
      for (const o of r.outcomes) lines.push(`    ${pad(label(o), pw)}${o.result.toUpperCase()}: ${o.text}`);
    }
  }
  if (e.notes.length > 0) {
    lines.push('');
    lines.push('notes:');
    for (const n of e.notes) lines.push(`  - ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What is worth knowing about a group on 6.12, by ownership. */
function modernNotes(group: IommuGroup, vgroup: VfioGroup | undefined, live: boolean, id: number): string[] {
  const notes: string[] = [];
  if (vgroup === undefined) {
    notes.push(
      `/dev/vfio/${id} exists while a vfio driver holds a device of this group; the last one's unbind removes it and releases ownership, even while userspace holds it open (the stale fd then gets -ENODEV)`,
    );
    return notes;
  }
  if (!live && group.ownerCnt > 0) {
    notes.push(
      `VFIO_GROUP_SET_CONTAINER gets -EPERM while a driver that uses the DMA API is bound here (owner_cnt ${group.ownerCnt}); unbind it first`,
    );
  }
  if (vgroup.opened && !live) notes.push(`${vgroup.node} is open but no container is set: nothing is claimed yet`);
  if (live && group.domain === 'blocking') {
    notes.push(
      "the group is on its blocking domain: none of its devices can DMA until VFIO_SET_IOMMU attaches userspace's domain; VFIO_GROUP_GET_DEVICE_FD gets -EINVAL until then",
    );
  }
  if (live) {
    notes.push(
      `a device hot-added to this group joins userspace's domain, and a DMA-API driver that matches it fails its attach: "device attach failed (-16)"; no vfio code runs and nothing warns`,
    );
  }
  return notes;
}

/**
 * The viability explainer: for IOMMU group `groupId`, each device and why it keeps the group viable or not, whether
 * userspace owns the group (live), which binds of a host driver would break isolation and what each known profile
 * would do about them, and a text rendering. Unknown group: SIM_ERR_VFIO_UNKNOWN_GROUP.
 */
export function explainGroup(kernel: Kernel, groupId: number): GroupExplanation {
  vfioState(kernel, 'explainGroup()');
  if (!Number.isInteger(groupId) || groupId < 0) {
    throw new SimError(
      'SIM_ERR_VFIO_BAD_ARGUMENT',
      `explainGroup(): the group is an IOMMU group id (an integer >= 0), got ${JSON.stringify(groupId)}`,
    );
  }
  const group = findIommuGroup(kernel, groupId);
  if (group === undefined) {
    const known = iommuGroups(kernel).map((g) => g.id);
    throw new SimError(
      'SIM_ERR_VFIO_UNKNOWN_GROUP',
      `explainGroup(): there is no IOMMU group ${groupId}; the groups are ${known.length === 0 ? 'none' : known.join(', ')} (ls /sys/kernel/iommu_groups)`,
    );
  }
  const vgroup = vfioGroupOf(kernel, group);
  const modern = kernel.version.dmaOwnership;
  const devices = group.devices().map((dev) => (modern ? verdictModern : verdict)(kernel, vgroup, dev));
  const viable = modern ? vgroup?.container != null || group.ownerCnt === 0 : devices.every((d) => d.viable);
  const live = modern ? group.owner !== null : (vgroup?.containerUsers ?? 0) > 0;
  const ownership: DmaOwnership | null = modern
    ? {
        ownerCnt: group.ownerCnt,
        owner: group.owner?.name ?? null,
        domain: group.domain,
        kernelUsers: devices.filter((d) => d.state === 'dma-api').map((d) => `${d.device} (${d.driver})`),
      }
    : null;
  const vfio: VfioGroupSummary | null =
    vgroup === undefined
      ? null
      : {
          node: vgroup.node,
          opened: vgroup.opened,
          containerSet: vgroup.container !== null,
          containerUsers: vgroup.containerUsers,
          deviceFds: vfioGroupDeviceFds(kernel, vgroup),
          iommuBackend: vgroup.container?.iommuDriver ?? null,
        };
  const notes: string[] = [];
  if (kernel.oops !== null) notes.push(`the kernel died: ${kernel.oops.message} (read kernel.oops and kernel.dmesg)`);
  if (modern) notes.push(...modernNotes(group, vgroup, live, groupId));
  else if (vgroup === undefined) {
    notes.push(
      `vfio registers its notifier on an IOMMU group only when a vfio driver first takes one of its devices; until then nothing checks binds here and /dev/vfio/${groupId} does not exist`,
    );
  } else {
    if (live && !viable) {
      notes.push(
        'the group is live but not viable: v4.12 does not check viability at VFIO_GROUP_SET_CONTAINER (5.19+ would refuse it), so the container may span a device a host driver owns; VFIO_GROUP_GET_DEVICE_FD fails with -EINVAL until every device is viable',
      );
    }
    if (vgroup.opened && !live) {
      notes.push(`${vgroup.node} is open but no container is set: opening alone arms nothing`);
    }
    if (live && vfio !== null && vfio.iommuBackend === null) {
      notes.push('no IOMMU backend yet (VFIO_SET_IOMMU): VFIO_GROUP_GET_DEVICE_FD fails with -EINVAL until one is set');
    }
    if (live) {
      notes.push(
        `a device hot-added to this group now gets the warning "Device ... added to live group ${groupId}!" and, if a host driver autoprobes it, the bind above`,
      );
    }
    if (!vgroup.opened && live) {
      notes.push(
        `${vgroup.node} is closed but device fds keep the container: a new open gets -EBUSY until they are closed`,
      );
    }
  }
  const data = {
    group: groupId,
    profile: kernel.profile.name,
    base: kernel.version.base,
    ownership,
    vfio,
    live,
    viable,
    devices,
    risks: risks(kernel, group, live),
    notes,
  };
  return { ...data, text: formatGroupExplanation(data) };
}
