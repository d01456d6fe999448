import {
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  createKernel,
  EBADF,
  EBUSY,
  EDEADLK,
  EEXIST,
  ENODEV,
  ENOENT,
  ENOTTY,
  type Kernel,
  LINUX_6_12,
  NOTIFY_BAD,
  type Plugin,
  SimError,
  toJsonl,
} from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, NOUVEAU, snapshot, traced } from './helpers.ts';

function plugin(name: string, log: string[], extra: Partial<Plugin> = {}): Plugin {
  return {
    name,
    setup: () => {
      log.push(`setup ${name}`);
      return () => log.push(`teardown ${name}`);
    },
    ...extra,
  };
}

function thrown(fn: () => unknown): SimError {
  try {
    fn();
  } catch (e) {
    if (SimError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('profiles', () => {
  it('v4.12 by default; names and flag lists resolve; hasFlag answers', () => {
    expect(createKernel().profile).toEqual({ name: 'v4.12', base: '4.12', flags: [] });
    const seed = createKernel({ profile: 'v4.12+bind-veto' });
    expect(seed.profile.flags).toEqual(['stopBindOnNotifyBad']);
    expect(seed.hasFlag('stopBindOnNotifyBad')).toBe(true);
    expect(createKernel({ profile: { flags: ['stopBindOnNotifyBad'] } }).profile).toEqual({
      name: 'custom',
      base: '4.12',
      flags: ['stopBindOnNotifyBad'],
    });
  });

  it('v6.12 is a base kernel; kernel.version and kernel.busEvents say what it changes', () => {
    const k = createKernel({ profile: 'v6.12' });
    expect(k.profile).toEqual({ name: 'v6.12', base: '6.12', flags: [] });
    expect(k.version).toBe(LINUX_6_12);
    expect(k.version).toMatchObject({ release: '6.12.118', iommuGroupChain: false, dmaOwnership: true });
    expect(k.busEvents.BUS_NOTIFY_BIND_DRIVER).toBe(3);
    expect(createKernel().busEvents.BUS_NOTIFY_BIND_DRIVER).toBe(BUS_NOTIFY_BIND_DRIVER);
    expect(createKernel({ profile: { base: '6.12' } }).profile).toEqual({ name: 'custom', base: '6.12', flags: [] });
    expect(createKernel({ profile: { name: 'mine', base: '6.12', flags: [] } }).version.base).toBe('6.12');
  });

  it('refuses the seed flag on 6.12 with the reason, and an unknown base', () => {
    const e = thrown(() => createKernel({ profile: { base: '6.12', flags: ['stopBindOnNotifyBad'] } }));
    expect(e.code).toBe('SIM_ERR_PROFILE_FLAG_REFUSED');
    expect(e.message).toContain("flag 'stopBindOnNotifyBad' makes no sense on Linux 6.12");
    expect(e.message).toContain('bus_notify(), which returns nothing');
    const bad = thrown(() => createKernel({ profile: { base: '5.19' as never, flags: [] } }));
    expect(bad.code).toBe('SIM_ERR_PROFILE_UNKNOWN_BASE');
    expect(bad.message).toContain("the bases are '4.12' and '6.12'");
  });

  it('a plugin that does not model a base is refused there, at createKernel() and at use(), with its reason', () => {
    const p: Plugin = { name: 'old', unsupported: { '6.12': 'gone in v6.4' }, setup: () => undefined };
    expect(createKernel({ plugins: [p] }).plugins()).toEqual(['old']);
    const e = thrown(() => createKernel({ profile: 'v6.12', plugins: [p] }));
    expect(e.code).toBe('SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL');
    expect(e.message).toContain("plugin 'old' does not run on Linux 6.12 (profile 'v6.12'): gone in v6.4");
    const k = createKernel({ profile: 'v6.12' });
    expect(thrown(() => k.use(p)).code).toBe('SIM_ERR_PLUGIN_UNSUPPORTED_KERNEL');
    expect(k.plugins()).toEqual([]);
  });

  it('an unknown profile or flag is an error that lists the known ones', () => {
    expect(thrown(() => createKernel({ profile: 'v5.19' })).message).toMatch(
      /SIM_ERR_PROFILE_UNKNOWN: unknown profile "v5.19"; known profiles: v4.12, v4.12\+bind-veto/,
    );
    expect(thrown(() => createKernel({ profile: { flags: ['percolate'] } })).message).toMatch(
      /SIM_ERR_PROFILE_UNKNOWN_FLAG: unknown flag "percolate"; known flags: stopBindOnNotifyBad/,
    );
    expect(thrown(() => createKernel().hasFlag('nope')).code).toBe('SIM_ERR_PROFILE_UNKNOWN_FLAG');
  });

  it("a plugin's flags and profiles are known when the plugin is given to createKernel", () => {
    const p: Plugin = {
      name: 'vfio-like',
      flags: [{ name: 'vetoBind', description: 'veto', where: 'drivers/vfio/vfio.c' }],
      profiles: [{ name: 'rfc', description: 'rfc', flags: ['stopBindOnNotifyBad', 'vetoBind'] }],
      setup: () => undefined,
    };
    const k = createKernel({ profile: 'rfc', plugins: [p] });
    expect(k.hasFlag('vetoBind')).toBe(true);
    expect(k.knownProfiles().map((x) => x.name)).toEqual(['v4.12', 'v4.12+bind-veto', 'v6.12', 'rfc']);
  });
});

describe('plugin host', () => {
  it('sets plugins up in order and tears them down in reverse on close()', () => {
    const log: string[] = [];
    const k = createKernel({ plugins: [plugin('a', log), plugin('b', log, { dependencies: ['a'] })] });
    k.use(plugin('c', log));
    expect(k.plugins()).toEqual(['a', 'b', 'c']);
    k.close();
    k.close();
    expect(log).toEqual(['setup a', 'setup b', 'setup c', 'teardown c', 'teardown b', 'teardown a']);
    expect(thrown(() => k.addDevice(GPU)).code).toBe('SIM_ERR_KERNEL_CLOSED');
  });

  it('checks dependencies and duplicate names at use(), naming both plugins', () => {
    const log: string[] = [];
    const k = createKernel();
    expect(thrown(() => k.use(plugin('vfio', log, { dependencies: ['iommu-group'] }))).message).toMatch(
      /plugin 'vfio' depends on plugin 'iommu-group', which is not in use; use 'iommu-group' before 'vfio'/,
    );
    k.use(plugin('iommu-group', log));
    expect(thrown(() => k.use(plugin('iommu-group', log))).code).toBe('SIM_ERR_PLUGIN_DUPLICATE');
    expect(thrown(() => k.use({ name: '' } as Plugin)).code).toBe('SIM_ERR_PLUGIN_BAD');
    expect(log).toEqual(['setup iommu-group']);
  });
});

describe('BUG() and the dead kernel', () => {
  function oopsing(): Kernel {
    const k = createKernel();
    k.bus('pci').registerNotifier({
      name: 'bugger',
      notifierCall: (action) => (action === BUS_NOTIFY_BOUND_DRIVER ? k.bug('drivers/test/bug.c:42') : 0),
    });
    k.registerDriver({ ...NOUVEAU, probe: 'ok' });
    return k;
  }

  it('records the oops with the call path, prints it, and the operation returns null', () => {
    const k = oopsing();
    expect(k.addDevice(GPU)).toBeNull();
    expect(k.oops?.message).toBe('kernel BUG at drivers/test/bug.c:42!');
    expect(k.oops?.callPath).toEqual([
      'device_add 0000:01:00.0',
      'pci_bus_add_device',
      'really_probe',
      'blocking_notifier_call_chain(pci)',
    ]);
    const lines = k.dmesg.lines({ timestamps: false });
    expect(lines).toContain('kernel BUG at drivers/test/bug.c:42!');
    expect(lines).toContain('invalid opcode: 0000 [#1] SMP');
  });

  it('refuses every further operation with a SimError, but can still be read', () => {
    const k = oopsing();
    k.addDevice(GPU);
    expect(thrown(() => k.sysfs.write('/sys/bus/pci/rescan', '1')).message).toMatch(
      /SIM_ERR_KERNEL_DEAD: this kernel died: kernel BUG at drivers\/test\/bug.c:42!/,
    );
    expect(thrown(() => k.registerDriver({ name: 'x', bus: 'pci' })).code).toBe('SIM_ERR_KERNEL_DEAD');
    expect(k.sysfs.read('/sys/bus/pci/devices/0000:01:00.0/vendor')).toBe('0x10de\n');
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
  });

  it('an exception thrown by a callback is an oops too, and keeps the exception', () => {
    const k = createKernel();
    const boom = new Error('boom');
    k.bus('platform').registerNotifier({
      name: 'thrower',
      notifierCall: () => {
        throw boom;
      },
    });
    expect(k.addDevice({ bus: 'platform', name: 'p' })).toBeNull();
    expect(k.oops?.message).toMatch(/^BUG: unhandled exception in blocking_notifier_call_chain\(platform\): boom$/);
    expect(k.oops?.cause).toBe(boom);
  });
});

describe('locks the kernel would deadlock on', () => {
  it('a notifier that unbinds its own device during BIND_DRIVER gets -EDEADLK; the bind goes on', () => {
    const k = createKernel();
    let inner: number | null = 0;
    k.bus('pci').registerNotifier({
      name: 'reentrant',
      notifierCall: (action) => {
        if (action === BUS_NOTIFY_BIND_DRIVER)
          inner = k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', GPU.address);
        return 0;
      },
    });
    k.registerDriver(NOUVEAU);
    expect(k.addDevice(GPU)).toBe(0);
    expect(inner).toBe(-EDEADLK);
    expect(k.device(GPU.address)?.driver?.name).toBe('nouveau');
    expect(k.dmesg.lines({ timestamps: false })).toContain('WARNING: possible recursive locking detected');
    expect(k.oops).toBeNull();
  });

  it('a bus notifier registering on its own bus chain mid-call is refused (the rwsem)', () => {
    const k = createKernel();
    let ret = 0;
    k.bus('pci').registerNotifier({
      name: 'grower',
      notifierCall: () => {
        ret = k.bus('pci').registerNotifier({ name: 'late', notifierCall: () => 0 }).ret;
        return 0;
      },
    });
    k.addDevice(GPU);
    expect(ret).toBe(-EDEADLK);
    expect(
      k
        .bus('pci')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['grower']);
  });

  it('a notifier re-entering its own chain without end is a stack-overflow oops, not a hang', () => {
    const k = createKernel();
    const chain = k.createChain('blocking', 'loop');
    chain.register({ name: 'again', notifierCall: (a, d) => chain.callChain(a, d) });
    const d = k.dev.register('loop', { open: () => chain.callChain(1, null) });
    expect(d).toBe(0);
    expect(k.dev.open('/dev/loop')).toBeNull();
    expect(k.oops?.message).toBe('kernel stack overflow (double-fault)');
  });
});

describe('the driver model', () => {
  it('names platform devices after pdev->name and id', () => {
    const k = createKernel();
    k.addDevice({ bus: 'platform', name: 'serial8250' });
    k.addDevice({ bus: 'platform', name: 'uart', id: 3 });
    k.addDevice({ bus: 'platform', name: 'gpio', id: 'auto' });
    k.addDevice({ bus: 'platform', name: 'gpio', id: 'auto' });
    expect(
      k
        .bus('platform')
        .devices()
        .map((d) => d.name),
    ).toEqual(['serial8250', 'uart.3', 'gpio.0.auto', 'gpio.1.auto']);
    expect(k.addDevice({ bus: 'platform', name: 'uart', id: 3 })).toBe(-EEXIST);
  });

  it('matches platform devices by override, OF compatible, id table, then name', () => {
    const k = createKernel();
    k.registerDriver({ name: 'by-name', bus: 'platform' });
    k.registerDriver({ name: 'by-of', bus: 'platform', ofMatch: ['ti,keystone-uart'] });
    k.registerDriver({ name: 'by-id', bus: 'platform', ids: ['legacy-uart'] });
    k.addDevice({ bus: 'platform', name: 'by-name' });
    k.addDevice({ bus: 'platform', name: 'x', ofNode: { compatible: ['ti,keystone-uart'] } });
    k.addDevice({ bus: 'platform', name: 'legacy-uart' });
    expect(k.devices().map((d) => `${d.name}:${d.driver?.name}`)).toEqual([
      'by-name:by-name',
      'x:by-of',
      'legacy-uart:by-id',
    ]);
  });

  it('i2c: adapters are i2c-N and never bind; clients N-00aa match by id table', () => {
    const k = createKernel();
    k.registerDriver({ name: 'at24', bus: 'i2c', ids: ['24c02'], probe: 'ok' });
    expect(k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'SMBus I801' })).toBe(0);
    expect(k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'second', nr: 5 })).toBe(0);
    expect(k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'again', nr: 5 })).toBe(-EBUSY);
    expect(k.addDevice({ bus: 'i2c', kind: 'client', name: '24c02', adapter: 0, addr: 0x50 })).toBe(0);
    expect(k.addDevice({ bus: 'i2c', kind: 'client', name: '24c02', adapter: 0, addr: 0x50 })).toBe(-EBUSY);
    expect(k.addDevice({ bus: 'i2c', kind: 'client', name: 'x', adapter: 9, addr: 0x50 })).toBe(-ENODEV);
    expect(
      k
        .bus('i2c')
        .devices()
        .map((d) => `${d.name}:${d.driver?.name ?? '-'}`),
    ).toEqual(['i2c-0:-', 'i2c-5:-', '0-0050:at24']);
    expect(k.sysfs.read('/sys/bus/i2c/devices/0-0050/name')).toBe('24c02\n');
    k.removeDevice('i2c-0');
    expect(
      k
        .bus('i2c')
        .devices()
        .map((d) => d.name),
    ).toEqual(['i2c-5']);
  });

  it("custom buses: match, probe and remove are the bus type's", () => {
    const k = createKernel();
    const log: string[] = [];
    k.busRegister({
      name: 'toy',
      match: (dev, drv) => (dev.name.startsWith(drv.name) ? 1 : 0),
      probe: (dev) => {
        log.push(`probe ${dev.name}`);
        return 0;
      },
      remove: (dev) => log.push(`remove ${dev.name}`),
    });
    k.registerDriver({ name: 'widget', bus: 'toy', probe: 'ok' });
    expect(k.dmesg.lines({ timestamps: false })).toContain(
      "Driver 'widget' needs updating - please use bus_type methods",
    );
    k.addDevice({ bus: 'toy', name: 'widget0' });
    k.addDevice({ bus: 'toy', name: 'gadget0' });
    k.unregisterDriver('widget', 'toy');
    expect(log).toEqual(['probe widget0', 'remove widget0']);
    expect(k.sysfs.realpath('/sys/bus/toy/devices/gadget0')).toBe('/sys/devices/gadget0');
  });

  it('driver_register of a name already on the bus is -EBUSY with the kernel error', () => {
    const k = createKernel();
    expect(k.registerDriver(NOUVEAU)).toBe(0);
    expect(k.registerDriver(NOUVEAU)).toBe(-EBUSY);
    expect(k.dmesg.lines({ timestamps: false })).toContain(
      "Error: Driver 'nouveau' is already registered, aborting...",
    );
  });

  it('driver_unregister releases devices last bound first', () => {
    const { k, events } = traced();
    k.registerDriver({ name: 'n', bus: 'platform', ids: ['a', 'b', 'c'] });
    for (const name of ['a', 'b', 'c']) k.addDevice({ bus: 'platform', name });
    const from = events.length;
    k.unregisterDriver('n', 'platform');
    const unbound = events.slice(from).flatMap((e) => (e.type === 'bind' ? [e.device] : []));
    expect(unbound).toEqual(['c', 'b', 'a']);
  });

  it('many kernels in one process are independent', () => {
    const a = createKernel();
    const b = createKernel({ profile: 'v4.12+bind-veto' });
    a.addDevice(GPU);
    expect(b.device(GPU.address)).toBeUndefined();
    b.addDevice(GPU);
    a.registerDriver(NOUVEAU);
    expect(a.device(GPU.address)?.driver?.name).toBe('nouveau');
    expect(b.device(GPU.address)?.driver).toBeNull();
  });
});

describe('/dev', () => {
  it('opens, ioctls and closes through the file operations, with the kernel errnos', () => {
    const k = createKernel();
    const calls: string[] = [];
    expect(
      k.dev.register('toy/0', {
        open: (f) => {
          calls.push(`open ${f.fd}`);
          return 0;
        },
        ioctl: (_f, cmd, arg) => (cmd === 'TOY_GET' ? Number(arg) + 1 : -ENOTTY),
        release: (f) => calls.push(`release ${f.fd}`),
      }),
    ).toBe(0);
    expect(k.dev.register('toy/0', {})).toBe(-EEXIST);
    expect(k.dev.open('/dev/none')).toBe(-ENOENT);
    const fd = k.dev.open('/dev/toy/0');
    expect(fd).toBe(3);
    expect(k.dev.ioctl(3, 'TOY_GET', 41)).toBe(42);
    expect(k.dev.ioctl(9, 'TOY_GET')).toBe(-EBADF);
    expect(k.dev.close(3)).toBe(0);
    expect(k.dev.close(3)).toBe(-EBADF);
    expect(calls).toEqual(['open 3', 'release 3']);
    expect(k.dev.list()).toEqual(['/dev/toy/0']);
  });
});

describe('bad input leaves the kernel untouched', () => {
  it.each([
    [
      { bus: 'pci', address: '0000:01:00', vendor: 1, device: 1 },
      /PCI address "0000:01:00" is not domain:bus:slot.function/,
    ],
    [{ bus: 'pci', address: '0000:01:00.0', vendor: 0x10000, device: 1 }, /vendor must be an integer in \[0, 65535\]/],
    [
      { bus: 'pci', address: '0000:01:00.0', vendor: 1, device: 1, parent: '0000:00:1f.0' },
      /parent "0000:00:1f.0" is not a PCI device/,
    ],
    [{ bus: 'platform', name: 'a/b' }, /platform device name "a\/b" is not usable/],
    [{ bus: 'platform', name: 'x', id: 1.5 }, /id 1.5 is not -1/],
    [{ bus: 'i2c', kind: 'bus', name: 'x' }, /kind 'adapter'/],
    [
      { bus: 'usb', name: 'x' },
      /SIM_ERR_BUS_UNKNOWN: addDevice\(\): no bus named "usb"; known buses: platform, pci, i2c/,
    ],
  ])('addDevice(%j)', (spec, message) => {
    const k = createKernel();
    k.addDevice(GPU);
    const before = snapshot(k);
    expect(() => k.addDevice(spec as never)).toThrow(message);
    expect(snapshot(k)).toEqual(before);
  });

  it.each([
    [{ name: '', bus: 'pci' }, /driver name "" is not usable/],
    [{ name: 'x', bus: 'pci', ids: [{ vendor: 1 }] }, /has no device/],
    [{ name: 'x', bus: 'platform', ids: [42] }, /platform ids are device names/],
    [{ name: 'x', bus: 'pci', probe: 'maybe' }, /probe "maybe" is not one of/],
  ])('registerDriver(%j)', (spec, message) => {
    const k = createKernel();
    const before = snapshot(k);
    expect(() => k.registerDriver(spec as never)).toThrow(message);
    expect(snapshot(k)).toEqual(before);
  });

  it('unknown names in API calls are SimErrors that list what exists', () => {
    const k = createKernel();
    k.addDevice(GPU);
    expect(() => k.removeDevice('nope')).toThrow(
      /SIM_ERR_DEVICE_UNKNOWN: removeDevice\(\): no device named "nope"; registered devices: 0000:01:00.0/,
    );
    expect(() => k.unregisterDriver('nope', 'pci')).toThrow(/SIM_ERR_DRIVER_UNKNOWN/);
    expect(() => k.bus('usb')).toThrow(/SIM_ERR_BUS_UNKNOWN/);
    expect(() => createKernel({ logRecords: 0 })).toThrow(/SIM_ERR_KERNEL_BAD_OPTION/);
  });

  it('a probe function that returns a non-integer is an oops naming the driver', () => {
    const k = createKernel();
    k.registerDriver({ name: 'sloppy', bus: 'platform', probe: (() => 'yes') as never });
    expect(k.addDevice({ bus: 'platform', name: 'sloppy' })).toBeNull();
    expect(k.oops?.message).toMatch(/SIM_ERR_DRIVER_BAD_PROBE_RETURN: probe of driver 'sloppy' returned "yes"/);
  });
});

describe('the trace', () => {
  it('records chain calls with caller, each block and the outcome, and exports JSON Lines', () => {
    const { k, events } = traced({ profile: 'v4.12+bind-veto' });
    k.bus('pci').registerNotifier({
      name: 'veto',
      notifierCall: (a) => (a === BUS_NOTIFY_BIND_DRIVER ? NOTIFY_BAD : 0),
    });
    k.bus('pci').registerNotifier({ name: 'after', priority: -1, notifierCall: () => 0 });
    k.registerDriver(NOUVEAU);
    k.addDevice(GPU);
    const bind = events.filter((e) => 'action' in e && e.action === BUS_NOTIFY_BIND_DRIVER);
    expect(bind.map((e) => e.type)).toEqual(['chain.call', 'chain.block', 'chain.return', 'chain.outcome']);
    expect(bind[2]).toMatchObject({
      ret: NOTIFY_BAD,
      stoppedBy: 'veto',
      skipped: ['after'],
      caller: 'driver_sysfs_add',
    });
    expect(bind[3]).toMatchObject({
      outcome: 'honoured',
      effect: 'driver_sysfs_add() returns -EINVAL: the bind stops before the probe',
    });
    const lines = toJsonl(events).trimEnd().split('\n');
    expect(lines.length).toBe(events.length);
    expect(JSON.parse(lines[0]!).seq).toBe(0);
  });

  it('off, it attaches nothing to the chains', () => {
    const k = createKernel();
    const chain = k.bus('pci').notifier as unknown as { observers: unknown };
    expect(chain.observers).toBeNull();
    const rec = k.trace.record();
    expect(chain.observers).not.toBeNull();
    rec.stop();
    expect(chain.observers).toBeNull();
    expect(k.trace.enabled).toBe(false);
  });
});

describe('close()', () => {
  it('runs teardowns on a live kernel, so they may unregister what they registered', () => {
    const k = createKernel({
      plugins: [
        {
          name: 'driver-owner',
          setup: (kernel) => {
            kernel.registerDriver({ name: 'owned', bus: 'platform' });
            return () => {
              kernel.unregisterDriver('owned', 'platform');
            };
          },
        },
      ],
    });
    k.addDevice({ bus: 'platform', name: 'owned' });
    expect(k.device('owned')?.driver?.name).toBe('owned');
    k.close();
    expect(k.device('owned')?.driver).toBeNull();
  });

  it('runs every teardown even when one throws, then reports the first failure', () => {
    const log: string[] = [];
    const k = createKernel({
      plugins: [
        plugin('first', log),
        {
          name: 'broken',
          setup: () => () => {
            throw new Error('teardown failed');
          },
        },
      ],
    });
    expect(() => k.close()).toThrow('teardown failed');
    expect(log).toEqual(['setup first', 'teardown first']);
    expect(() => k.addDevice(GPU)).toThrow(/SIM_ERR_KERNEL_CLOSED/);
  });
});
