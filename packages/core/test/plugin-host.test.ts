import { createKernel, type Kernel, type Plugin, type RawNotifierHead, SimError } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, snapshot } from './helpers.ts';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (e) {
    return SimError.isInstance(e) ? e.code : `not a SimError: ${String(e)}`;
  }
  return null;
}

/** A plugin that registers a notifier and a driver (as keystone and i2cdev do). */
function registering(name = 'registering'): Plugin {
  return {
    name,
    setup(kernel: Kernel) {
      kernel.bus('platform').registerNotifier({ name: `${name}_nb`, notifierCall: () => 0 });
      kernel.registerDriver({ name: `${name}_drv`, bus: 'platform' });
      return undefined;
    },
  };
}

describe('the same plugin twice', () => {
  it('createKernel({ plugins: [p, p] }) is SIM_ERR_PLUGIN_DUPLICATE, before any setup runs', () => {
    const setups: string[] = [];
    const p: Plugin = {
      name: 'once',
      setup() {
        setups.push('once');
        return undefined;
      },
    };
    expect(codeOf(() => createKernel({ plugins: [p, p] }))).toBe('SIM_ERR_PLUGIN_DUPLICATE');
    expect(setups).toEqual([]);
  });

  it('two copies of one plugin (same name, different objects) are refused too', () => {
    expect(codeOf(() => createKernel({ plugins: [registering(), registering()] }))).toBe('SIM_ERR_PLUGIN_DUPLICATE');
    const k = createKernel({ plugins: [registering()] });
    expect(codeOf(() => k.use(registering()))).toBe('SIM_ERR_PLUGIN_DUPLICATE');
    expect(
      k
        .bus('platform')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['registering_nb']);
  });

  it('the message names the plugin and how to fix it', () => {
    const p = registering('twice');
    expect(() => createKernel({ plugins: [p, p] })).toThrow(
      /SIM_ERR_PLUGIN_DUPLICATE: plugin 'twice' is already in use on this kernel; use each plugin once/,
    );
  });

  it('a kernel that refused a duplicate is unchanged', () => {
    const k = createKernel({ plugins: [registering()] });
    k.addDevice(GPU);
    const before = snapshot(k);
    expect(codeOf(() => k.use(registering()))).toBe('SIM_ERR_PLUGIN_DUPLICATE');
    expect(snapshot(k)).toEqual(before);
  });
});

/** Everything a setup may change through the kernel API, for "exactly as it was" checks. */
function world(k: Kernel, extraChains: { blocks(): { name: string }[] }[] = []): unknown {
  return {
    model: snapshot(k),
    chains: k.chains(),
    extraChains: extraChains.map((c) => c.blocks().map((b) => b.name)),
    sysKernel: k.sysfs.list('/sys/kernel'),
    sysClass: k.sysfs.list('/sys/class'),
    gpuDir: k.sysfs.list(`/sys/bus/pci/devices/${GPU.address}/`),
    dev: k.dev.list(),
    flags: k.knownFlags().map((f) => f.name),
    profiles: k.knownProfiles().map((p) => p.name),
    plugins: k.plugins(),
    injections: k.inject.list(),
    buses: k.buses().map((b) => b.name),
  };
}

describe('a failed use() leaves the kernel exactly as it was', () => {
  function base(): { k: Kernel; own: RawNotifierHead<unknown> } {
    const k = createKernel();
    k.bus('pci').registerNotifier({ name: 'first', notifierCall: () => 0 });
    k.bus('pci').registerNotifier({ name: 'second', priority: -1, notifierCall: () => 0 });
    k.addDevice(GPU);
    k.sysfs.createDir('/sys/class/before');
    const own = k.createChain('raw', 'before-chain');
    own.register({ name: 'own-block', notifierCall: () => 0 });
    return { k, own };
  }

  /** A setup that touches everything, then throws. */
  function failing(extra?: (k: Kernel) => void): Plugin {
    return {
      name: 'failing',
      flags: [{ name: 'failingFlag', description: 'x', where: 'nowhere' }],
      profiles: [{ name: 'failing-profile', description: 'x', flags: ['failingFlag'] }],
      setup(kernel: Kernel) {
        kernel.bus('pci').registerNotifier({ name: 'plugin-nb', priority: 5, notifierCall: () => 0 });
        kernel.registerDriver({ name: 'grabber', bus: 'pci', ids: [{ vendor: GPU.vendor, device: GPU.device }] });
        const chain = kernel.createChain('blocking', 'plugin-chain');
        chain.register({ name: 'on-own-chain', notifierCall: () => 0 });
        kernel.busRegister({ name: 'plugin-bus' });
        kernel.addDevice({ bus: 'platform', name: 'plugin-dev' });
        kernel.sysfs.createDir('/sys/kernel/plugin');
        kernel.sysfs.createFile('/sys/kernel/plugin/attr', { mode: 0o444, show: () => '1\n' });
        kernel.sysfs.createLink(`/sys/bus/pci/devices/${GPU.address}/plugin_link`, '/sys/kernel/plugin');
        kernel.dev.register('plugin', {});
        kernel.inject.notifier({ chain: 'platform', action: 'any', answer: 'NOTIFY_OK' });
        kernel.trace.subscribe(() => {});
        extra?.(kernel);
        throw new Error('setup failed half way');
      },
    };
  }

  it('drivers, notifiers on every chain, chains, buses, devices, sysfs and /dev entries, flags, profiles', () => {
    const { k, own } = base();
    expect(k.device(GPU.address)?.driver).toBeNull();
    const before = world(k, [own]);
    expect(() => k.use(failing())).toThrow('setup failed half way');
    expect(world(k, [own])).toEqual(before);
    expect(k.device(GPU.address)?.driver).toBeNull();
    expect(k.trace.enabled).toBe(false);
    expect(k.oops).toBeNull();
    // The kernel log is history: what the setup printed stays.
    expect(k.dmesg.lines({ timestamps: false }).some((l) => l.includes('grabber'))).toBe(true);
    // And the kernel still works: the same plugin, fixed, can be used.
    k.use(registering('after'));
    expect(k.plugins()).toEqual(['after']);
  });

  it("what the setup unregistered or removed of others' is put back where it was", () => {
    const { k, own } = base();
    const before = world(k, [own]);
    const blocks = k.bus('pci').notifier.blocks();
    const plugin = failing((kernel) => {
      kernel.bus('pci').unregisterNotifier(blocks[0] as never);
      own.unregister(own.blocks()[0] as never);
      kernel.sysfs.remove('/sys/class/before');
      kernel.unregisterDriver('grabber', 'pci');
    });
    expect(() => k.use(plugin)).toThrow('setup failed half way');
    expect(world(k, [own])).toEqual(before);
    expect(k.bus('pci').notifier.blocks()).toEqual(blocks);
  });

  it('registration handles the failed setup got are stale afterwards', () => {
    const k = createKernel();
    let handle: { unregister(): number } | null = null;
    const nb = { name: 'kept', notifierCall: () => 0 };
    expect(() =>
      k.use({
        name: 'half',
        setup(kernel) {
          handle = kernel.bus('platform').registerNotifier(nb);
          throw new Error('no');
        },
      }),
    ).toThrow('no');
    const again = k.bus('platform').registerNotifier(nb);
    expect(handle!.unregister()).toBe(-2);
    expect(k.bus('platform').notifier.blocks()).toEqual([nb]);
    expect(again.unregister()).toBe(0);
  });

  it('createKernel({ plugins }) with a failing plugin undoes it and tears the ones before it down', () => {
    const log: string[] = [];
    const good: Plugin = {
      name: 'good',
      setup(kernel) {
        kernel.bus('platform').registerNotifier({ name: 'good-nb', notifierCall: () => 0 });
        log.push('setup good');
        return () => log.push('teardown good');
      },
    };
    expect(() => createKernel({ plugins: [good, failing()] })).toThrow('setup failed half way');
    expect(log).toEqual(['setup good', 'teardown good']);
  });

  it('a block the failed setup registered twice (v4.12 relinks it, unlinking later blocks) is put back as it was', () => {
    const k = createKernel({ profile: 'v4.12' });
    const first = { name: 'first', notifierCall: () => 0 };
    const later = { name: 'later', notifierCall: () => 0 };
    k.bus('platform').registerNotifier(first);
    k.bus('platform').registerNotifier(later);
    expect(() =>
      k.use({
        name: 'twice',
        setup(kernel) {
          // v4.12's notifier_chain_register() links `first` again after `later`'s predecessor walk: the list is damaged.
          expect(kernel.bus('platform').registerNotifier(first).ret).toBe(0);
          expect(kernel.bus('platform').notifier.blocks()).not.toEqual([first, later]);
          throw new Error('twice failed');
        },
      }),
    ).toThrow('twice failed');
    expect(k.bus('platform').notifier.blocks()).toEqual([first, later]);
    const calls: string[] = [];
    k.bus('platform').registerNotifier({
      name: 'probe',
      priority: -1,
      notifierCall: () => {
        calls.push('p');
        return 0;
      },
    });
    expect(k.addDevice({ bus: 'platform', name: 'after-undo' })).toBe(0);
    expect(calls.length).toBeGreaterThan(0);
  });

  it('a use() inside a setup is undone with the setup that failed', () => {
    const k = createKernel();
    const before = world(k);
    expect(() =>
      k.use({
        name: 'outer',
        setup(kernel) {
          kernel.use(registering('inner'));
          throw new Error('outer failed');
        },
      }),
    ).toThrow('outer failed');
    expect(world(k)).toEqual(before);
  });
});

describe('createKernel({ trace })', () => {
  it("hears the plugins' setups, which a subscription after createKernel() misses", () => {
    const events: { type: string; text?: string }[] = [];
    const plugin: Plugin = {
      name: 'chatty',
      setup(kernel) {
        kernel.printk(6, 'chatty: loaded');
        kernel.bus('platform').registerNotifier({ name: 'chatty_nb', notifierCall: () => 0 });
        return undefined;
      },
    };
    const k = createKernel({ plugins: [plugin], trace: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'dmesg').map((e) => e.text)).toEqual(['chatty: loaded']);
    expect(events.map((e) => e.type)).toContain('chain.register');
    expect(k.dmesg.lines({ timestamps: false })).toEqual(['chatty: loaded']);
    expect(codeOf(() => createKernel({ trace: 5 as never }))).toBe('SIM_ERR_KERNEL_BAD_OPTION');
  });
});
