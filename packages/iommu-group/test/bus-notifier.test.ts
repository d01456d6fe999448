import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_DRIVER_NOT_BOUND,
  BUS_NOTIFY_REMOVED_DEVICE,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  busNotifyName,
  createKernel,
  type Device,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  type TraceEvent,
} from '@sim/core';
import {
  findIommuGroup,
  groupActionOf,
  IOMMU_BUS_NOTIFIER,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
  type IommuGroupOptions,
  iommuGroupNotifyName,
  iommuGroupPlugin,
  PERCOLATE,
} from '@sim/iommu-group';
import { describe, expect, it } from 'vitest';

const PERCOLATE_PROFILE = { name: 'percolate', flags: [PERCOLATE] };

function kernelWith(profile: string | { name: string; flags: string[] } = 'v4.12', options: IommuGroupOptions = {}) {
  return createKernel({ profile, plugins: [iommuGroupPlugin(options)] });
}

function addGpu(k: Kernel): Device {
  k.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80 });
  return k.device('0000:01:00.0')!;
}

/** Registers a group-chain block answering `answer`, recording what it sees. */
function watchGroup(k: Kernel, answer = NOTIFY_OK): string[] {
  const seen: string[] = [];
  findIommuGroup(k, 0)!.notifier.register({
    name: 'watch',
    notifierCall: (action, dev) => {
      seen.push(`${iommuGroupNotifyName(action)} ${dev.name}`);
      return answer;
    },
  });
  return seen;
}

/** The answers iommu_bus_notifier gave, from the trace. */
function busAnswers(events: readonly TraceEvent[]): string[] {
  return events
    .filter((e) => e.type === 'chain.block' && e.block === IOMMU_BUS_NOTIFIER)
    .map((e) => `${busNotifyName((e as { action: number }).action)}=${(e as { ret: number }).ret}`);
}

describe('iommu_bus_notifier translation', () => {
  it('translates BIND, BOUND, UNBIND, UNBOUND (4..7) to the group chain (3..6)', () => {
    const driverEvents = [
      BUS_NOTIFY_BIND_DRIVER,
      BUS_NOTIFY_BOUND_DRIVER,
      BUS_NOTIFY_UNBIND_DRIVER,
      BUS_NOTIFY_UNBOUND_DRIVER,
    ];
    expect(driverEvents).toEqual([4, 5, 6, 7]);
    expect(driverEvents.map(groupActionOf)).toEqual([
      IOMMU_GROUP_NOTIFY_BIND_DRIVER,
      IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
      IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
      IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
    ]);
    expect([3, 4, 5, 6]).toEqual([
      IOMMU_GROUP_NOTIFY_BIND_DRIVER,
      IOMMU_GROUP_NOTIFY_BOUND_DRIVER,
      IOMMU_GROUP_NOTIFY_UNBIND_DRIVER,
      IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
    ]);
    for (const a of [
      BUS_NOTIFY_ADD_DEVICE,
      BUS_NOTIFY_DEL_DEVICE,
      BUS_NOTIFY_REMOVED_DEVICE,
      BUS_NOTIFY_DRIVER_NOT_BOUND,
    ])
      expect(groupActionOf(a)).toBe(0);
  });

  it('forwards a bind and an unbind onto the group chain, but not DRIVER_NOT_BOUND or DEL_DEVICE', () => {
    const k = kernelWith();
    addGpu(k);
    const seen = watchGroup(k);
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }] });
    k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', '0000:01:00.0');
    k.registerDriver({ name: 'broken', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: { errno: -12 } });
    k.unregisterDriver('nouveau', 'pci');
    k.removeDevice('0000:01:00.0');
    expect(seen).toEqual([
      'IOMMU_GROUP_NOTIFY_BIND_DRIVER 0000:01:00.0',
      'IOMMU_GROUP_NOTIFY_BOUND_DRIVER 0000:01:00.0',
      'IOMMU_GROUP_NOTIFY_UNBIND_DRIVER 0000:01:00.0',
      'IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER 0000:01:00.0',
      // 'broken' autoprobes and fails: BIND is forwarded, DRIVER_NOT_BOUND is not.
      'IOMMU_GROUP_NOTIFY_BIND_DRIVER 0000:01:00.0',
      // removal: no DEL_DEVICE translation; iommu_group_remove_device() sends its own DEL_DEVICE (2).
      'IOMMU_GROUP_NOTIFY_DEL_DEVICE 0000:01:00.0',
    ]);
  });

  it('returns NOTIFY_OK for an ADD_DEVICE that got a group, NOTIFY_DONE for one that did not, 0 for the rest', () => {
    const k = kernelWith('v4.12', { rule: (dev) => (dev.name === '0000:01:00.0' ? 'gpu' : null) });
    const rec = k.trace.record();
    addGpu(k);
    k.addDevice({ bus: 'pci', address: '0000:00:1f.0', vendor: 0x8086, device: 0xa145 });
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }] });
    k.removeDevice('0000:01:00.0');
    rec.stop();
    expect(busAnswers(rec.events)).toEqual([
      `BUS_NOTIFY_ADD_DEVICE=${NOTIFY_OK}`,
      `BUS_NOTIFY_ADD_DEVICE=${NOTIFY_DONE}`,
      'BUS_NOTIFY_BIND_DRIVER=0',
      'BUS_NOTIFY_BOUND_DRIVER=0',
      'BUS_NOTIFY_UNBIND_DRIVER=0',
      'BUS_NOTIFY_UNBOUND_DRIVER=0',
      'BUS_NOTIFY_DEL_DEVICE=0',
      'BUS_NOTIFY_REMOVED_DEVICE=0',
    ]);
  });
});

describe('what iommu_bus_notifier returns for a group chain that says no', () => {
  function bindWithVeto(profile: string | { name: string; flags: string[] }, answer: number) {
    const k = kernelWith(profile);
    addGpu(k);
    watchGroup(k, answer);
    const later: string[] = [];
    k.bus('pci').registerNotifier({
      name: 'later',
      notifierCall: (action) => {
        later.push(busNotifyName(action)!);
        return NOTIFY_DONE;
      },
    });
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }] });
    const rec = k.trace.record();
    k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', '0000:01:00.0');
    k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', '0000:01:00.0');
    rec.stop();
    return { k, later, events: rec.events };
  }

  it('v4.12: 0 whatever the group chain answered, recorded as ignored', () => {
    const { later, events } = bindWithVeto('v4.12', NOTIFY_BAD);
    expect(busAnswers(events)).toEqual([
      'BUS_NOTIFY_UNBIND_DRIVER=0',
      'BUS_NOTIFY_UNBOUND_DRIVER=0',
      'BUS_NOTIFY_BIND_DRIVER=0',
      'BUS_NOTIFY_BOUND_DRIVER=0',
    ]);
    expect(later).toEqual([
      // nouveau's load binds it first
      'BUS_NOTIFY_BIND_DRIVER',
      'BUS_NOTIFY_BOUND_DRIVER',
      'BUS_NOTIFY_UNBIND_DRIVER',
      'BUS_NOTIFY_UNBOUND_DRIVER',
      'BUS_NOTIFY_BIND_DRIVER',
      'BUS_NOTIFY_BOUND_DRIVER',
    ]);
    const outcomes = events.filter((e) => e.type === 'chain.outcome' && e.caller === IOMMU_BUS_NOTIFIER);
    expect(outcomes.map((e) => (e as { outcome: string }).outcome)).toEqual([
      'ignored',
      'ignored',
      'ignored',
      'ignored',
    ]);
    expect(outcomes.map((e) => (e as { ret: number }).ret)).toEqual([NOTIFY_BAD, NOTIFY_BAD, NOTIFY_BAD, NOTIFY_BAD]);
  });

  it("percolate: the group chain's answer, recorded as propagated; its stop bit skips later bus notifiers", () => {
    const { k, later, events } = bindWithVeto(PERCOLATE_PROFILE, NOTIFY_BAD);
    expect(busAnswers(events)).toEqual([
      `BUS_NOTIFY_UNBIND_DRIVER=${NOTIFY_BAD}`,
      `BUS_NOTIFY_UNBOUND_DRIVER=${NOTIFY_BAD}`,
      `BUS_NOTIFY_BIND_DRIVER=${NOTIFY_BAD}`,
      `BUS_NOTIFY_BOUND_DRIVER=${NOTIFY_BAD}`,
    ]);
    // Without core's stopBindOnNotifyBad the bind still completes; 'later' is never called for these events.
    expect(later).toEqual([]);
    expect(k.device('0000:01:00.0')!.driver?.name).toBe('nouveau');
    const outcomes = events.filter((e) => e.type === 'chain.outcome' && e.caller === IOMMU_BUS_NOTIFIER);
    expect(outcomes.every((e) => (e as { outcome: string }).outcome === 'propagated')).toBe(true);
    const bindReturn = events.find(
      (e) => e.type === 'chain.return' && e.chain === 'pci' && e.action === BUS_NOTIFY_BIND_DRIVER,
    );
    expect(bindReturn).toMatchObject({ ret: NOTIFY_BAD, stoppedBy: IOMMU_BUS_NOTIFIER, skipped: ['later'] });
  });

  it('percolate + stopBindOnNotifyBad: the bind stops in driver_sysfs_add() and the write gets -ENODEV', () => {
    const k = kernelWith({ name: 'both', flags: [PERCOLATE, 'stopBindOnNotifyBad'] });
    addGpu(k);
    watchGroup(k, NOTIFY_BAD);
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' });
    const nouveau = k.driver('nouveau', 'pci')!;
    expect(k.device('0000:01:00.0')!.driver).toBeNull();
    expect(nouveau.probeCalls).toBe(0);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', '0000:01:00.0')).toBe(-19);
    expect(k.dmesg.lines({ timestamps: false })).toContain('really_probe: driver_sysfs_add(0000:01:00.0) failed');
  });

  it('percolate passes NOTIFY_OK and NOTIFY_STOP on as they are', () => {
    for (const answer of [NOTIFY_OK, NOTIFY_STOP]) {
      const { events } = bindWithVeto(PERCOLATE_PROFILE, answer);
      expect(busAnswers(events)[2]).toBe(`BUS_NOTIFY_BIND_DRIVER=${answer}`);
    }
  });

  it('a device in no group: 0 without calling any group chain, with or without percolate', () => {
    const k = kernelWith(PERCOLATE_PROFILE, { rule: 'none' });
    const rec = k.trace.record();
    addGpu(k);
    k.registerDriver({ name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }] });
    rec.stop();
    expect(busAnswers(rec.events)).toEqual([
      `BUS_NOTIFY_ADD_DEVICE=${NOTIFY_DONE}`,
      'BUS_NOTIFY_BIND_DRIVER=0',
      'BUS_NOTIFY_BOUND_DRIVER=0',
    ]);
    expect(rec.events.some((e) => e.type === 'chain.call' && e.chain.startsWith('iommu_group:'))).toBe(false);
  });
});

describe('iommu_bus_init', () => {
  it('puts the devices already present in their groups when the plugin is used late, then follows new ones', () => {
    const k = createKernel();
    k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x5912 });
    k.addDevice({ bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80 });
    k.use(iommuGroupPlugin());
    expect(k.device('0000:00:02.0')!.iommuGroup?.id).toBe(0);
    expect(k.device('0000:01:00.0')!.iommuGroup?.id).toBe(1);
    expect(k.dmesg.lines({ timestamps: false }).filter((l) => l.startsWith('iommu: Adding'))).toEqual([
      'iommu: Adding device 0000:00:02.0 to group 0',
      'iommu: Adding device 0000:01:00.0 to group 1',
    ]);
    k.addDevice({ bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0 });
    expect(k.device('0000:01:00.1')!.iommuGroup?.id).toBe(2);
    expect(
      k
        .bus('pci')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual([IOMMU_BUS_NOTIFIER]);
  });

  it('ignores devices that get no group (-ENODEV) during the replay', () => {
    const k = createKernel();
    k.addDevice({ bus: 'pci', address: '0000:00:02.0', vendor: 0x8086, device: 0x5912 });
    k.use(iommuGroupPlugin({ rule: 'none' }));
    expect(k.device('0000:00:02.0')!.iommuGroup).toBeNull();
    expect(
      k
        .bus('pci')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual([IOMMU_BUS_NOTIFIER]);
  });

  it('registers on every bus of the options, e.g. platform devices behind an SMMU', () => {
    const k = kernelWith('v4.12', { buses: ['pci', 'platform'], rule: 'device' });
    k.addDevice({ bus: 'platform', name: 'e0000000.ethernet' });
    expect(k.device('e0000000.ethernet')!.iommuGroup?.id).toBe(0);
    expect(
      k
        .bus('platform')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual([IOMMU_BUS_NOTIFIER]);
  });

  it('leaves other buses alone', () => {
    const k = kernelWith();
    k.addDevice({ bus: 'platform', name: 'serial8250' });
    expect(k.device('serial8250')!.iommuGroup).toBeNull();
    expect(k.bus('platform').notifier.blocks()).toEqual([]);
  });

  it('takes its blocks off the buses and its directory out of sysfs on close', () => {
    const k = kernelWith();
    addGpu(k);
    k.close();
    expect(k.bus('pci').notifier.blocks()).toEqual([]);
    expect(k.sysfs.exists('/sys/kernel/iommu_groups')).toBe(false);
    expect(k.device('0000:01:00.0')!.iommuGroup).toBeNull();
  });

  it('a bus notification with NULL data oopses, as the NULL dereference in v4.12 does', () => {
    const k = kernelWith();
    expect(() => k.bus('pci').notifier.callChain(BUS_NOTIFY_BIND_DRIVER, null)).toThrow(/NULL pointer/);
    expect(k.oops?.where).toBe('drivers/iommu/iommu.c:1098');
  });
});
