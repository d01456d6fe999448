import {
  BUS_NOTIFY_BIND_DRIVER,
  EINVAL,
  ENODEV,
  ENOMEM,
  ENXIO,
  EPROBE_DEFER,
  KERN_INFO,
  KERN_WARNING,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_STOP,
  notifierFromErrno,
} from '@sim/core';
import { describe, expect, it } from 'vitest';
import { fixture, GPU, NOUVEAU, sequence, traced } from './helpers.ts';

const veto = {
  name: 'veto',
  notifierCall: (action: number) => (action === BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : NOTIFY_DONE),
};

describe('bus notifier sequences (fixtures written from the v4.12 source)', () => {
  it('a successful bind: ADD_DEVICE, BIND_DRIVER, probe, BOUND_DRIVER', async () => {
    const { k, events } = traced();
    k.registerDriver({ ...NOUVEAU, probe: 'ok' });
    k.addDevice(GPU);
    expect(sequence(events)).toEqual(await fixture('successful-bind.events'));
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
  });

  it('a failed probe: BIND_DRIVER, probe, DRIVER_NOT_BOUND, the warning', async () => {
    const { k, events } = traced();
    k.registerDriver({ ...NOUVEAU, probe: { errno: -ENOMEM } });
    k.addDevice(GPU);
    expect(sequence(events)).toEqual(await fixture('failed-probe.events'));
    expect(k.device(GPU.address)?.driver).toBeNull();
  });

  it('a deferred probe, retried after another bind', async () => {
    const { k, events } = traced();
    k.registerDriver({ name: 'uart-drv', bus: 'platform', ids: ['uart'], probe: { deferUntil: 'clk' } });
    k.addDevice({ bus: 'platform', name: 'uart', id: 0 });
    k.addDevice({ bus: 'platform', name: 'clk' });
    expect(k.device('uart.0')?.driver).toBeNull();
    k.registerDriver({ name: 'clk', bus: 'platform', probe: 'ok' });
    expect(sequence(events)).toEqual(await fixture('deferred-probe.events'));
    expect(k.device('uart.0')?.driver?.name).toBe('uart-drv');
  });

  it('an unbind through sysfs: UNBIND_DRIVER, remove, UNBOUND_DRIVER', async () => {
    const { k, events } = traced();
    const removed: string[] = [];
    k.registerDriver({
      ...NOUVEAU,
      probe: 'ok',
      remove: (dev) => {
        removed.push(dev.name);
      },
    });
    k.addDevice(GPU);
    const from = events.length;
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', '0000:01:00.0\n')).toBe(13);
    expect(sequence(events.slice(from))).toEqual(await fixture('unbind.events'));
    expect(removed).toEqual([GPU.address]);
    expect(k.device(GPU.address)?.driver).toBeNull();
  });

  it('a device removal: DEL_DEVICE, UNBIND, UNBOUND, REMOVED_DEVICE', async () => {
    const { k, events } = traced();
    k.registerDriver({ name: 'serial8250', bus: 'platform' });
    k.addDevice({ bus: 'platform', name: 'serial8250' });
    const from = events.length;
    k.removeDevice('serial8250');
    expect(sequence(events.slice(from))).toEqual(await fixture('device-removal.events'));
    expect(k.device('serial8250')).toBeUndefined();
  });

  it('a PCI remove releases the driver before device_del()', async () => {
    const { k, events } = traced();
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    const from = events.length;
    expect(k.sysfs.write('/sys/bus/pci/devices/0000:01:00.0/remove', '1\n')).toBe(2);
    expect(sequence(events.slice(from))).toEqual(await fixture('pci-remove.events'));
  });

  it('v4.12 ignores NOTIFY_BAD on BIND_DRIVER; the seed flag stops the bind', async () => {
    for (const [profile, file, driver] of [
      ['v4.12', 'veto-v4.12.events', 'nouveau'],
      ['v4.12+bind-veto', 'veto-seed.events', null],
    ] as const) {
      const { k, events } = traced({ profile });
      k.bus('pci').registerNotifier(veto);
      k.registerDriver({ ...NOUVEAU, probe: 'ok' });
      k.addDevice(GPU);
      expect(sequence(events), profile).toEqual(await fixture(file));
      expect(k.device(GPU.address)?.driver?.name ?? null).toBe(driver);
    }
  });
});

describe('really_probe() and the seed flag', () => {
  it('under the seed flag a vetoed bind write returns -ENODEV, leaves no link, and the probe never runs', () => {
    const { k } = traced({ profile: 'v4.12+bind-veto' });
    let probes = 0;
    k.registerDriver({
      ...NOUVEAU,
      probe: () => {
        probes++;
        return 0;
      },
    });
    k.bus('pci').registerNotifier(veto);
    k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', GPU.address); // nothing bound yet: -ENODEV
    k.addDevice(GPU);
    expect(probes).toBe(0);
    expect(k.sysfs.write('/sys/bus/pci/drivers/nouveau/bind', '0000:01:00.0\n')).toBe(-ENODEV);
    expect(k.sysfs.exists('/sys/bus/pci/devices/0000:01:00.0/driver')).toBe(false);
    expect(k.sysfs.list('/sys/bus/pci/drivers/nouveau')).not.toContain('0000:01:00.0');
    expect(probes).toBe(0);
  });

  it.each([
    ['NOTIFY_STOP', NOTIFY_STOP],
    ['notifierFromErrno(-EINVAL)', notifierFromErrno(-EINVAL)],
    ['a raw -EBUSY', -16],
  ])('the seed flag honours exactly NOTIFY_BAD: %s does not stop the bind', (_name, answer) => {
    const { k } = traced({ profile: 'v4.12+bind-veto' });
    k.bus('pci').registerNotifier({ name: 'no', notifierCall: (a) => (a === BUS_NOTIFY_BIND_DRIVER ? answer : 0) });
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
  });

  it('a later notifier is not called for the vetoed event (the stop bit), in every profile', () => {
    for (const profile of ['v4.12', 'v4.12+bind-veto']) {
      const { k } = traced({ profile });
      const seen: number[] = [];
      k.bus('pci').registerNotifier(veto);
      k.bus('pci').registerNotifier({
        name: 'later',
        priority: -1,
        notifierCall: (a) => {
          seen.push(a);
          return 0;
        },
      });
      k.registerDriver(NOUVEAU);
      k.addDevice(GPU);
      expect(seen.includes(BUS_NOTIFY_BIND_DRIVER), profile).toBe(false);
    }
  });

  it('the notifier sees dev->driver set at BIND_DRIVER and DRIVER_NOT_BOUND, cleared at UNBOUND_DRIVER', () => {
    const { k } = traced();
    const seen: string[] = [];
    k.bus('pci').registerNotifier({
      name: 'spy',
      notifierCall: (action, dev) => {
        seen.push(`${action}:${dev?.driver?.name ?? '-'}:${dev?.isBound ? 'bound' : 'unbound'}`);
        return 0;
      },
    });
    k.registerDriver({ ...NOUVEAU, probe: { errno: -ENOMEM } });
    k.addDevice(GPU);
    expect(seen).toEqual(['1:-:unbound', '4:nouveau:unbound', '8:nouveau:unbound']);
    seen.length = 0;
    k.unregisterDriver('nouveau', 'pci');
    k.registerDriver(NOUVEAU);
    k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', GPU.address);
    expect(seen).toEqual(['4:nouveau:unbound', '5:nouveau:bound', '6:nouveau:bound', '7:-:unbound']);
  });

  it('-ENODEV and -ENXIO are silent; other errors warn; the probe error never reaches userspace', () => {
    for (const [err, warns] of [
      [-ENODEV, false],
      [-ENXIO, false],
      [-EINVAL, true],
      [-ENOMEM, true],
      [5, true],
    ] as const) {
      const { k } = traced();
      k.addDevice({ bus: 'platform', name: 'dev' });
      k.registerDriver({ name: 'drv', bus: 'platform', ids: ['dev'], probe: { errno: err } });
      const warning = `drv: probe of dev failed with error ${err}`;
      expect(k.dmesg.lines({ level: KERN_WARNING, timestamps: false }).includes(warning), String(err)).toBe(warns);
      expect(k.sysfs.write('/sys/bus/platform/drivers/drv/bind', 'dev')).toBe(-ENODEV);
    }
  });

  it('a PCI probe returning > 0 binds with a warning (local_pci_probe)', () => {
    const { k } = traced();
    k.registerDriver({ ...NOUVEAU, probe: () => 3 });
    k.addDevice(GPU);
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
    expect(k.dmesg.lines({ level: KERN_WARNING, timestamps: false })).toContain(
      'nouveau 0000:01:00.0: Driver probe function unexpectedly returned 3',
    );
  });

  it('a deferred device is retried after any successful bind, and stays pending otherwise', () => {
    const { k } = traced();
    let calls = 0;
    k.registerDriver({
      name: 'picky',
      bus: 'platform',
      probe: () => (++calls < 3 ? -EPROBE_DEFER : 0),
    });
    k.addDevice({ bus: 'platform', name: 'picky' });
    expect(calls).toBe(1);
    k.addDevice({ bus: 'platform', name: 'other' }); // no bind: no retry
    expect(calls).toBe(1);
    k.registerDriver({ name: 'other', bus: 'platform' }); // binds 'other': retry, defers again
    expect(calls).toBe(2);
    k.registerDriver({ name: 'third', bus: 'platform' });
    k.addDevice({ bus: 'platform', name: 'third' }); // another bind: retry, binds
    expect(calls).toBe(3);
    expect(k.device('picky')?.driver?.name).toBe('picky');
  });

  it('drivers_autoprobe=0 keeps deferred retries and driver registration from probing', () => {
    const { k } = traced();
    k.registerDriver({ name: 'late', bus: 'platform', probe: { deferUntil: 'clk' } });
    k.addDevice({ bus: 'platform', name: 'late' });
    expect(k.sysfs.write('/sys/bus/platform/drivers_autoprobe', '0')).toBe(1);
    expect(k.sysfs.read('/sys/bus/platform/drivers_autoprobe')).toBe('0\n');
    k.addDevice({ bus: 'platform', name: 'clk' });
    k.registerDriver({ name: 'clk', bus: 'platform' });
    expect(k.device('clk')?.driver).toBeNull();
    expect(k.sysfs.write('/sys/bus/platform/drivers/clk/bind', 'clk')).toBe(3);
    expect(k.device('late')?.driver).toBeNull();
    expect(k.sysfs.write('/sys/bus/platform/drivers_autoprobe', 'yes')).toBe(3);
    expect(k.sysfs.write('/sys/bus/platform/drivers_probe', 'late')).toBe(4);
    expect(k.device('late')?.driver?.name).toBe('late');
  });

  it('PCI hot-add binds even with drivers_autoprobe=0 (pci_bus_add_device calls device_attach)', () => {
    const { k } = traced();
    k.sysfs.write('/sys/bus/pci/drivers_autoprobe', '0');
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
  });

  it('logs the dd.c debug lines in order with dynamic debug, and none without', () => {
    const { k } = traced();
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    expect(k.dmesg.lines({ timestamps: false })).toEqual([
      "bus: 'pci': add driver nouveau",
      "device: '0000:01:00.0': device_add",
      "bus: 'pci': add device 0000:01:00.0",
      "bus: 'pci': driver_probe_device: matched device 0000:01:00.0 with driver nouveau",
      "bus: 'pci': really_probe: probing driver nouveau with device 0000:01:00.0",
      "driver: 'nouveau': driver_bound: bound to device '0000:01:00.0'",
      "bus: 'pci': really_probe: bound device 0000:01:00.0 to driver nouveau",
    ]);
    const quiet = traced({ dynamicDebug: false }).k;
    quiet.registerDriver(NOUVEAU);
    quiet.addDevice(GPU);
    expect(quiet.dmesg.lines()).toEqual([]);
    expect(k.dmesg.lines({ level: KERN_INFO })).toEqual([]);
  });

  it('timestamps come from a deterministic clock', () => {
    const a = traced().k;
    const b = traced().k;
    for (const k of [a, b]) {
      k.registerDriver(NOUVEAU);
      k.addDevice(GPU);
    }
    expect(a.dmesg.lines()).toEqual(b.dmesg.lines());
    expect(a.dmesg.lines()[0]).toBe("[    0.001001] bus: 'pci': add driver nouveau");
  });
});
