import {
  BUS_NOTIFY_BIND_DRIVER,
  busNotifyName,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  STOP_BIND_ON_NOTIFY_BAD,
  type TraceEvent,
} from '@sim/core';
import {
  findIommuGroup,
  IOMMU_GROUP_NOTIFY_BIND_DRIVER,
  IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER,
  PERCOLATE,
} from '@sim/iommu-group';
import { VETO_BIND, VFIO_BUG_WHERE, VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_STATUS, vfioGroupOf } from '@sim/vfio';
import { describe, expect, it } from 'vitest';
import { AUDIO, bothToVfio, GPU, give, goLive, lines, ROOT_PORT, seedKernel, unbind, write } from './helpers.ts';

const group1 = (k: Kernel) => findIommuGroup(k, 1)!;

/** The answers of vfio's block, from the trace. */
const vfioAnswers = (events: readonly TraceEvent[]) =>
  events
    .filter((e) => e.type === 'chain.block' && e.block === 'vfio_iommu_group_notifier')
    .map((e) => (e as { ret: number }).ret);

describe('when vfio listens', () => {
  it('registers on an IOMMU group only when a vfio driver takes the first device of it', () => {
    const k = seedKernel();
    expect(group1(k).notifier.blocks()).toEqual([]);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
    give(k, GPU, 'vfio-pci');
    expect(
      group1(k)
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['vfio_iommu_group_notifier']);
    expect(k.dev.list()).toEqual(['/dev/vfio/1', '/dev/vfio/vfio']);
    expect(findIommuGroup(k, 0)!.notifier.blocks()).toEqual([]);
  });

  it('stops listening and removes /dev/vfio/N when the last vfio device goes and no fd holds the group', () => {
    const k = seedKernel();
    bothToVfio(k);
    unbind(k, GPU);
    expect(k.dev.exists('/dev/vfio/1')).toBe(true);
    unbind(k, AUDIO);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
    expect(group1(k).notifier.blocks()).toEqual([]);
  });

  it('keeps the vfio group while /dev/vfio/N is open, even with no vfio device left', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    const fd = k.dev.open('/dev/vfio/1')!;
    unbind(k, GPU);
    expect(k.dev.exists('/dev/vfio/1')).toBe(true);
    expect(vfioGroupOf(k, group1(k))?.devices()).toEqual([]);
    expect(k.dev.close(fd)).toBe(0);
    expect(k.dev.exists('/dev/vfio/1')).toBe(false);
  });
});

describe('the pr_debug lines, and the answer (always NOTIFY_OK in v4.12)', () => {
  it('prints one line for BIND, BOUND, UNBIND and UNBOUND, none for ADD and DEL', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    k.dmesg.clear();
    const rec = k.trace.record();
    give(k, AUDIO, 'vfio-pci');
    unbind(k, AUDIO);
    write(k, `/sys/bus/pci/devices/${AUDIO}/remove`, '1\n');
    write(k, '/sys/bus/pci/rescan', '1\n');
    rec.stop();
    expect(lines(k).filter((l) => l.startsWith('vfio_iommu_group_notifier'))).toEqual([
      // snd_hda_intel's unbind, then vfio-pci's bind, then its unbind
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 unbinding from driver snd_hda_intel`,
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 unbound from driver`,
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 binding to driver`,
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 bound to driver vfio-pci`,
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 unbinding from driver vfio-pci`,
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 unbound from driver`,
      // the rescan adds it back (ADD: no line) and snd_hda_intel autoprobes it: the group is idle
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 binding to driver`,
      `vfio_iommu_group_notifier: Device ${AUDIO}, group 1 bound to driver snd_hda_intel`,
    ]);
    expect(new Set(vfioAnswers(rec.events))).toEqual(new Set([NOTIFY_OK]));
  });

  it('keeps them out of the log without dynamic debug', () => {
    const k = seedKernel('v4.12', false);
    bothToVfio(k);
    expect(lines(k).some((l) => l.startsWith('vfio_iommu_group_notifier'))).toBe(false);
  });
});

describe('BUG_ON at drivers/vfio/vfio.c:733 (BOUND_DRIVER)', () => {
  function hostBindIntoLiveGroup(profile: string | { name: string; flags: string[] }) {
    const k = seedKernel(profile as string);
    bothToVfio(k);
    goLive(k, false);
    unbind(k, AUDIO);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    const probes = k.driver('snd_hda_intel', 'pci')!.probeCalls;
    const ret = k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`);
    return { k, ret, probeRan: k.driver('snd_hda_intel', 'pci')!.probeCalls > probes };
  }

  it('fires when a host driver binds into a live group, after its probe ran; the write returns null', () => {
    const { k, ret, probeRan } = hostBindIntoLiveGroup('v4.12');
    expect(ret).toBeNull();
    expect(probeRan).toBe(true);
    expect(k.oops).toMatchObject({ where: VFIO_BUG_WHERE, message: `kernel BUG at ${VFIO_BUG_WHERE}!` });
    expect(k.oops!.callPath.slice(-3)).toEqual([
      'iommu_bus_notifier',
      'blocking_notifier_call_chain(iommu_group:1)',
      'vfio_iommu_group_notifier',
    ]);
    expect(lines(k)).toContain(`kernel BUG at ${VFIO_BUG_WHERE}!`);
    expect(k.device(AUDIO)!.driver?.name).toBe('snd_hda_intel');
  });

  it('fires on SET_CONTAINER alone: "live" is container_users > 0, no device fd or IOMMU needed', () => {
    const { k } = hostBindIntoLiveGroup('v4.12');
    expect(vfioGroupOf(k, group1(k))!.containerUsers).toBe(1);
    expect(k.oops?.where).toBe(VFIO_BUG_WHERE);
  });

  it('does not fire when the group is only open (no container): the host driver binds', () => {
    const k = seedKernel();
    bothToVfio(k);
    const fd = k.dev.open('/dev/vfio/1')!;
    unbind(k, AUDIO);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`)).toBe(13);
    expect(k.oops).toBeNull();
    const status = { flags: 0 };
    expect(k.dev.ioctl(fd, VFIO_GROUP_GET_STATUS, status)).toBe(0);
    expect(status.flags).toBe(0); // not viable, no container
  });

  it('does not fire for pci-stub (the whitelist) in a live group', () => {
    const k = seedKernel();
    bothToVfio(k);
    goLive(k);
    give(k, AUDIO, 'pci-stub');
    expect(k.oops).toBeNull();
    expect(lines(k)).toContain(`pci-stub ${AUDIO}: claimed by stub`);
  });

  it('does not fire for a bridge, whatever its driver', () => {
    const k = seedKernel();
    bothToVfio(k);
    goLive(k);
    expect(unbind(k, ROOT_PORT)).toBe(13);
    write(k, '/sys/bus/pci/drivers/pcieport/bind', `${ROOT_PORT}\n`);
    expect(k.device(ROOT_PORT)!.driver?.name).toBe('pcieport');
    k.registerDriver({ name: 'shpchp', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x1901 }] });
    expect(unbind(k, ROOT_PORT)).toBe(13);
    write(k, '/sys/bus/pci/drivers/shpchp/bind', `${ROOT_PORT}\n`);
    expect(k.oops).toBeNull();
  });

  it('does not fire for vfio-pci itself binding into a live group', () => {
    const k = seedKernel();
    give(k, GPU, 'vfio-pci');
    goLive(k);
    give(k, AUDIO, 'vfio-pci');
    expect(k.oops).toBeNull();
    expect(vfioGroupOf(k, group1(k))!.devices()).toEqual([k.device(AUDIO), k.device(GPU)]);
  });

  it('fires for a device hot-added into a live group that a host driver autoprobes, after the warning', () => {
    const k = seedKernel();
    bothToVfio(k);
    goLive(k);
    write(k, `/sys/bus/pci/devices/${AUDIO}/remove`, '1\n');
    expect(k.oops).toBeNull();
    expect(k.sysfs.write('/sys/bus/pci/rescan', '1\n')).toBeNull();
    const log = lines(k);
    const warn = log.indexOf(`Device ${AUDIO} added to live group 1!`);
    expect(warn).toBeGreaterThan(0);
    expect(log[warn - 1]).toBe('WARNING: CPU: 0 PID: 1 at drivers/vfio/vfio.c:681 vfio_iommu_group_notifier');
    expect(log.lastIndexOf(`iommu: Adding device ${AUDIO} to group 1`)).toBeGreaterThan(warn);
    expect(k.oops?.where).toBe(VFIO_BUG_WHERE);
  });

  it('a device hot-added to an idle group gets no warning', () => {
    const k = seedKernel();
    bothToVfio(k);
    k.dev.open('/dev/vfio/1');
    write(k, `/sys/bus/pci/devices/${AUDIO}/remove`, '1\n');
    write(k, '/sys/bus/pci/rescan', '1\n');
    expect(lines(k).some((l) => l.includes('added to live group'))).toBe(false);
    expect(k.device(AUDIO)!.driver?.name).toBe('snd_hda_intel');
  });
});

describe('the unbound list', () => {
  it('holds a device from vfio_del_group_dev() until UNBOUND_DRIVER takes it off', () => {
    const k = seedKernel();
    bothToVfio(k);
    const vgroup = vfioGroupOf(k, group1(k))!;
    const seen: string[] = [];
    // Registered before vfio's block with a higher priority, so it runs first and sees the state vfio sees.
    group1(k).notifier.register({
      name: 'observer',
      priority: 10,
      notifierCall: (action, dev) => {
        if (dev.name === AUDIO)
          seen.push(`${action}: unbound=${vgroup.unbound().includes(dev)} driver=${dev.driver?.name ?? null}`);
        return NOTIFY_DONE;
      },
    });
    unbind(k, AUDIO);
    expect(seen).toEqual([
      `5: unbound=false driver=vfio-pci`,
      `${IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER}: unbound=true driver=null`,
    ]);
    expect(vgroup.unbound()).toEqual([]);
  });

  it('keeps a device mid-unbind viable although it is no longer a vfio device', () => {
    const k = seedKernel();
    bothToVfio(k);
    const { group } = goLive(k);
    const fd = k.dev.ioctl(group, VFIO_GROUP_GET_DEVICE_FD, AUDIO)!;
    expect(unbind(k, AUDIO)).toBe(-35); // the unbind waits for the device fd: see vfio-pci.test.ts
    expect(k.dev.close(fd)).toBe(0);
    const vgroup = vfioGroupOf(k, group1(k))!;
    expect(vgroup.devices()).toEqual([k.device(GPU)]);
    expect(vgroup.unbound()).toEqual([k.device(AUDIO)]);
    expect(k.device(AUDIO)!.driver?.name).toBe('vfio-pci');
    const status = { flags: 0 };
    k.dev.ioctl(group, VFIO_GROUP_GET_STATUS, status);
    expect(status.flags & 1).toBe(1);
  });
});

describe('vetoBind: NOTIFY_BAD at BIND_DRIVER', () => {
  const VETO_ONLY = { name: 'veto-only', flags: [VETO_BIND] };

  it('answers NOTIFY_BAD only for a host driver into a live group', () => {
    const k = seedKernel(VETO_ONLY as never);
    bothToVfio(k);
    goLive(k);
    unbind(k, AUDIO);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    const rec = k.trace.record();
    k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`);
    rec.stop();
    const bind = rec.events.find(
      (e) =>
        e.type === 'chain.block' &&
        e.block === 'vfio_iommu_group_notifier' &&
        e.action === IOMMU_GROUP_NOTIFY_BIND_DRIVER,
    );
    expect(bind).toMatchObject({ ret: NOTIFY_BAD });
    // Alone, the flag changes the answer and nothing else: iommu_bus_notifier drops it, the BUG follows.
    expect(k.oops?.where).toBe(VFIO_BUG_WHERE);
  });

  it('lets vfio-pci, pci-stub and an idle group through with NOTIFY_OK', () => {
    const k = seedKernel('rfc-2017');
    const rec = k.trace.record();
    give(k, GPU, 'vfio-pci');
    goLive(k);
    give(k, AUDIO, 'vfio-pci'); // vfio-pci is not yet registered with vfio at BIND time, and passes
    give(k, AUDIO, 'pci-stub');
    rec.stop();
    expect(new Set(vfioAnswers(rec.events))).toEqual(new Set([NOTIFY_OK]));
    expect(k.device(AUDIO)!.driver?.name).toBe('pci-stub');
    const idle = seedKernel('rfc-2017');
    bothToVfio(idle);
    give(idle, AUDIO, 'snd_hda_intel');
    expect(idle.device(AUDIO)!.driver?.name).toBe('snd_hda_intel');
  });

  it('percolate + vetoBind without the dd.c change: NOTIFY_BAD stops the pci chain, the bind goes on to the BUG', () => {
    const k = seedKernel({ name: 'no-dd', flags: [PERCOLATE, VETO_BIND] } as never);
    const later: string[] = [];
    k.bus('pci').registerNotifier({
      name: 'later',
      notifierCall: (action) => {
        later.push(busNotifyName(action)!);
        return NOTIFY_DONE;
      },
    });
    bothToVfio(k);
    goLive(k);
    unbind(k, AUDIO);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    later.length = 0;
    const rec = k.trace.record();
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`)).toBeNull();
    rec.stop();
    expect(later).toEqual([]); // collateral: 'later' never heard of this BIND_DRIVER
    const ret = rec.events.find(
      (e) => e.type === 'chain.return' && e.chain === 'pci' && e.action === BUS_NOTIFY_BIND_DRIVER,
    );
    expect(ret).toMatchObject({ ret: NOTIFY_BAD, stoppedBy: 'iommu_bus_notifier', skipped: ['later'] });
    expect(k.oops?.where).toBe(VFIO_BUG_WHERE);
  });

  it('stopBindOnNotifyBad + vetoBind without percolate: still the BUG', () => {
    const k = seedKernel({ name: 'no-percolate', flags: [STOP_BIND_ON_NOTIFY_BAD, VETO_BIND] } as never);
    bothToVfio(k);
    goLive(k);
    unbind(k, AUDIO);
    write(k, `/sys/bus/pci/devices/${AUDIO}/driver_override`, '\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', `${AUDIO}\n`)).toBeNull();
    expect(k.oops?.where).toBe(VFIO_BUG_WHERE);
  });

  it('rfc-2017 refuses the hot-added device that a host driver autoprobes, after the warning', () => {
    const k = seedKernel('rfc-2017');
    bothToVfio(k);
    goLive(k);
    write(k, `/sys/bus/pci/devices/${AUDIO}/remove`, '1\n');
    expect(k.sysfs.write('/sys/bus/pci/rescan', '1\n')).toBe(2);
    expect(k.oops).toBeNull();
    expect(k.device(AUDIO)!.driver).toBeNull();
    expect(lines(k)).toContain(`Device ${AUDIO} added to live group 1!`);
    expect(lines(k)).toContain(`snd_hda_intel: probe of ${AUDIO} failed with error 0`);
  });
});
