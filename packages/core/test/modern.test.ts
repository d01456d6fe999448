import {
  BUS_NOTIFY_V6_12,
  type BusNotifierBlock,
  busNotifyName,
  createKernel,
  type Device,
  EAGAIN,
  EBUSY,
  EEXIST,
  ENODEV,
  ENOMEM,
  type IommuGroupRef,
  KERN_INFO,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  type TraceEvent,
} from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, NOUVEAU, sequence, traced } from './helpers.ts';

const AUDIO = { bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 } as const;
const HDA = { name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }] } as const;

/** A stand-in for @sim/iommu-group's group: a DMA owner count and an owner, as iommu_device_use_default_domain() reads them. */
function ownedGroup(): IommuGroupRef & { owner: string | null; ownerCnt: number; calls: string[] } {
  const g = {
    id: 7,
    owner: null as string | null,
    ownerCnt: 0,
    calls: [] as string[],
    useDefaultDomain(dev: Device) {
      g.calls.push(`use ${dev.name}`);
      if (g.ownerCnt > 0 && g.owner !== null) return -EBUSY;
      g.ownerCnt++;
      return 0;
    },
    unuseDefaultDomain(dev: Device) {
      g.calls.push(`unuse ${dev.name}`);
      g.ownerCnt--;
    },
  };
  return g;
}

function modern(): { k: Kernel; events: TraceEvent[] } {
  const r = traced({ profile: 'v6.12' });
  r.k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
  return r;
}

describe('v6.12: the bus events are numbered from 0 (include/linux/device/bus.h)', () => {
  it('the chain is called with 6.12 numbers, and the trace names them', () => {
    const { k, events } = traced({ profile: 'v6.12' });
    k.registerDriver({ ...NOUVEAU, probe: 'ok' });
    k.addDevice(GPU);
    const calls = events.filter((e) => e.type === 'chain.call') as Extract<TraceEvent, { type: 'chain.call' }>[];
    expect(calls.map((e) => [e.action, e.actionName])).toEqual([
      [0, 'BUS_NOTIFY_ADD_DEVICE'],
      [3, 'BUS_NOTIFY_BIND_DRIVER'],
      [4, 'BUS_NOTIFY_BOUND_DRIVER'],
    ]);
    expect(busNotifyName(3, k)).toBe('BUS_NOTIFY_BIND_DRIVER');
    expect(busNotifyName(3)).toBe('BUS_NOTIFY_REMOVED_DEVICE');
    expect(BUS_NOTIFY_V6_12.value('BUS_NOTIFY_DRIVER_NOT_BOUND')).toBe(7);
    expect(BUS_NOTIFY_V6_12.value('__proto__')).toBeUndefined();
    expect(BUS_NOTIFY_V6_12.name(8)).toBeUndefined();
  });

  it('a notifier written once with kernel.busEvents vetoes the same event on both kernels', () => {
    for (const profile of ['v4.12', 'v6.12']) {
      const k = createKernel({ profile });
      const seen: string[] = [];
      k.bus('pci').registerNotifier({
        name: 'watch',
        notifierCall: (action, dev) => {
          if (action === k.busEvents.BUS_NOTIFY_BIND_DRIVER) seen.push(`bind ${dev?.name}`);
          return NOTIFY_DONE;
        },
      });
      k.registerDriver({ ...NOUVEAU, probe: 'ok' });
      k.addDevice(GPU);
      expect(seen, profile).toEqual([`bind ${GPU.address}`]);
    }
  });

  it('bus_notify() returns nothing: NOTIFY_BAD on BIND_DRIVER stops only the later blocks, and the trace says so', () => {
    const { k, events } = modern();
    const later: string[] = [];
    k.bus('pci').registerNotifier({
      name: 'veto',
      notifierCall: (a) => (a === k.busEvents.BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : NOTIFY_DONE),
    });
    k.bus('pci').registerNotifier({
      name: 'later',
      notifierCall: (a) => {
        later.push(String(a));
        return NOTIFY_OK;
      },
    });
    k.addDevice(GPU);
    k.registerDriver({ ...NOUVEAU, probe: 'ok' });
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', `${GPU.address}\n`)).toBe(13);
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
    expect(later).toEqual(['0', '4']); // ADD_DEVICE and BOUND_DRIVER: BIND_DRIVER was stopped at 'veto'
    const outcome = events.find((e) => e.type === 'chain.outcome' && e.actionName === 'BUS_NOTIFY_BIND_DRIVER');
    expect(outcome).toMatchObject({
      outcome: 'ignored',
      caller: 'driver_sysfs_add',
      effect: 'bus_notify() returns nothing: the answer can only stop the later blocks of the chain',
    });
  });
});

describe('v6.12: the sysfs bind file returns the probe path errno (v5.14)', () => {
  it('-EBUSY for a bound device (to this driver or another), -ENODEV without a match', () => {
    const { k } = modern();
    k.addDevice(GPU);
    k.registerDriver({ ...NOUVEAU, probe: 'ok' });
    k.registerDriver({ name: 'other', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' });
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(12);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(-EBUSY);
    expect(k.sysfs.write('/sys/bus/pci/drivers/other/bind', GPU.address)).toBe(-EBUSY);
    expect(k.sysfs.write('/sys/bus/pci/drivers/other/bind', '0000:09:00.0')).toBe(-ENODEV);
    const v4 = createKernel();
    v4.addDevice(GPU);
    v4.registerDriver({ ...NOUVEAU, probe: 'ok' });
    expect(v4.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', GPU.address)).toBe(-ENODEV);
  });

  it("the probe's own errno, and the dev_err line before DRIVER_NOT_BOUND", () => {
    const { k, events } = modern();
    k.addDevice(AUDIO);
    k.registerDriver({ ...HDA, probe: { errno: -ENOMEM } });
    const from = events.length;
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(-ENOMEM);
    expect(sequence(events.slice(from))).toEqual([
      'pci BUS_NOTIFY_BIND_DRIVER 0000:01:00.1',
      'probe snd_hda_intel 0000:01:00.1 -> -12',
      'dmesg snd_hda_intel 0000:01:00.1: probe with driver snd_hda_intel failed with error -12',
      'pci BUS_NOTIFY_DRIVER_NOT_BOUND 0000:01:00.1',
    ]);
    expect(k.device(AUDIO.address)?.driver).toBeNull();
  });

  it('-EAGAIN for a deferral, which the bind does not put on the deferred list', () => {
    const { k } = modern();
    k.addDevice(AUDIO);
    k.registerDriver({ ...HDA, probe: 'defer' });
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(-EAGAIN);
    expect(k.dmesg.lines().some((l) => l.includes('Added to deferred list'))).toBe(false);
    // Auto-probe (driver_probe_device()) does list it.
    k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '1');
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', AUDIO.address)).toBe(12);
    expect(k.dmesg.lines().some((l) => l.endsWith('Added to deferred list'))).toBe(true);
  });
});

describe('v6.12: dma_configure() and DMA ownership in really_probe()', () => {
  it('an owned group refuses a DMA-API driver: -EBUSY, no bus event, no line, no probe', () => {
    const { k, events } = modern();
    k.addDevice(AUDIO);
    k.registerDriver({ ...HDA, probe: 'ok' });
    const group = ownedGroup();
    k.device(AUDIO.address)!.iommuGroup = group;
    group.owner = 'vfio';
    group.ownerCnt = 1;
    const lines = k.dmesg.lines({ level: KERN_INFO }).length;
    const from = events.length;
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(-EBUSY);
    expect(sequence(events.slice(from))).toEqual([]);
    expect(k.dmesg.lines({ level: KERN_INFO }).length).toBe(lines);
    expect(k.driver('snd_hda_intel', 'pci')?.probeCalls).toBe(0);
    expect(k.device(AUDIO.address)?.driver).toBeNull();
    expect(group.calls).toEqual([`use ${AUDIO.address}`]);
  });

  it('a driver_managed_dma driver binds without asking; a DMA-API driver takes and gives back its use', () => {
    const { k } = modern();
    k.addDevice(AUDIO);
    const group = ownedGroup();
    k.device(AUDIO.address)!.iommuGroup = group;
    k.registerDriver({ name: 'vfio-like', bus: 'pci', probe: 'ok', driverManagedDma: true });
    k.registerDriver({ ...HDA, probe: 'ok' });
    k.sysfs.write(`/sys/bus/pci/devices/${AUDIO.address}/driver_override`, 'vfio-like');
    expect(k.sysfs.write('/sys/bus/pci/drivers/vfio-like/bind', AUDIO.address)).toBe(12);
    expect(k.driver('vfio-like', 'pci')?.driverManagedDma).toBe(true);
    expect(group.calls).toEqual([]);
    k.sysfs.write('/sys/bus/pci/drivers/vfio-like/unbind', AUDIO.address);
    k.sysfs.write(`/sys/bus/pci/devices/${AUDIO.address}/driver_override`, '\n');
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(12);
    expect(group.ownerCnt).toBe(1);
    k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/unbind', AUDIO.address);
    expect(group.ownerCnt).toBe(0);
    expect(group.calls).toEqual([`use ${AUDIO.address}`, `unuse ${AUDIO.address}`]);
  });

  it('a failed probe gives the domain back (dma_cleanup after DRIVER_NOT_BOUND)', () => {
    const { k } = modern();
    k.addDevice(AUDIO);
    const group = ownedGroup();
    k.device(AUDIO.address)!.iommuGroup = group;
    k.registerDriver({ ...HDA, probe: { errno: -ENOMEM } });
    expect(k.sysfs.write('/sys/bus/pci/drivers/snd_hda_intel/bind', AUDIO.address)).toBe(-ENOMEM);
    expect(group.ownerCnt).toBe(0);
  });

  it('drivers_probe stops at the refusal: -EINVAL; a hot-added device in an owned group: "device attach failed (-16)"', () => {
    const k = createKernel({ profile: 'v6.12' });
    k.registerDriver({ ...HDA, probe: 'ok' });
    const group = ownedGroup();
    group.owner = 'vfio';
    group.ownerCnt = 1;
    // An IOMMU layer puts the device in its group on BUS_NOTIFY_ADD_DEVICE, before it is probed.
    k.bus('pci').registerNotifier({
      name: 'iommu_bus_notifier',
      notifierCall: (a, dev) => {
        if (a === k.busEvents.BUS_NOTIFY_ADD_DEVICE && dev !== null) dev.iommuGroup = group;
        return NOTIFY_OK;
      },
    });
    expect(k.addDevice(AUDIO)).toBe(0);
    expect(k.dmesg.lines({ timestamps: false })).toContain('pci 0000:01:00.1: device attach failed (-16)');
    expect(k.device(AUDIO.address)?.driver).toBeNull();
    expect(k.sysfs.write('/sys/bus/pci/drivers_probe', AUDIO.address)).toBe(-22);
  });
});

describe('double registration, per kernel (kernel/notifier.c)', () => {
  const nb: BusNotifierBlock = { name: 'twice', notifierCall: () => NOTIFY_DONE };

  it('v6.12: the WARN splat, taint W, -EEXIST, the chain unchanged', () => {
    const k = createKernel({ profile: 'v6.12' });
    expect(k.bus('pci').registerNotifier(nb).ret).toBe(0);
    expect(k.bus('pci').registerNotifier(nb).ret).toBe(-EEXIST);
    expect(k.bus('pci').notifier.blocks()).toEqual([nb]);
    const lines = k.dmesg.lines({ timestamps: false });
    const at = lines.indexOf('------------[ cut here ]------------');
    expect(lines.slice(at, at + 3)).toEqual([
      '------------[ cut here ]------------',
      'notifier callback twice already registered',
      'WARNING: CPU: 0 PID: 1 at kernel/notifier.c:31',
    ]);
    expect(k.addDevice(GPU)).toBe(0);
    expect(k.oops).toBeNull();
  });

  it('v4.12: no check, 0; the block points at itself and the next bus event is a soft lockup (an oops, not a hang)', () => {
    const k = createKernel();
    expect(k.bus('pci').registerNotifier(nb).ret).toBe(0);
    expect(k.bus('pci').registerNotifier(nb).ret).toBe(0);
    expect(k.dmesg.lines({ timestamps: false }).join('\n')).toContain("'twice' now points at itself");
    expect(k.addDevice(GPU)).toBeNull();
    expect(k.oops?.message).toBe('watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sim:1]');
    expect(k.oops?.callPath).toContain('blocking_notifier_call_chain(pci)');
  });

  it('v4.12: a longer chain silently loses the blocks after the block', () => {
    const k = createKernel();
    const seen: string[] = [];
    const after: BusNotifierBlock = {
      name: 'after',
      notifierCall: () => {
        seen.push('after');
        return NOTIFY_DONE;
      },
    };
    k.bus('pci').registerNotifier(nb);
    k.bus('pci').registerNotifier(after);
    k.bus('pci').registerNotifier({ name: 'low', priority: -1, notifierCall: () => NOTIFY_DONE });
    expect(k.bus('pci').registerNotifier(nb).ret).toBe(0);
    expect(
      k
        .bus('pci')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['twice', 'low']);
    expect(k.addDevice(GPU)).toBe(0);
    expect(seen).toEqual([]);
    // The unregister walk of a lost block does not find it.
    expect(k.bus('pci').unregisterNotifier(after)).toBe(-2);
  });
});
