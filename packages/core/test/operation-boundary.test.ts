import { BUS_NOTIFY_BOUND_DRIVER, createKernel, type Kernel, SimError } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU, NOUVEAU } from './helpers.ts';

/** Values a careless or hostile callback may throw, each of which once escaped the operation or broke its message. */
function hostileValues(): [string, () => unknown][] {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const allTrapsThrow = new Proxy(
    {},
    {
      get() {
        throw new Error('get trap');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
      has() {
        throw new Error('has trap');
      },
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('getOwnPropertyDescriptor trap');
      },
    },
  );
  const messageThrows = new Error('hidden');
  Object.defineProperty(messageThrows, 'message', {
    get() {
      throw new Error('message getter');
    },
  });
  const everythingThrows = Object.create(null, {
    toString: {
      get() {
        throw new Error('toString getter');
      },
    },
    [Symbol.toPrimitive]: {
      get() {
        throw new Error('toPrimitive getter');
      },
    },
    toJSON: {
      get() {
        throw new Error('toJSON getter');
      },
    },
  });
  return [
    ['Object.create(null)', () => Object.create(null)],
    ['an Error whose message getter throws', () => messageThrows],
    ['a revoked proxy', () => revoked.proxy],
    ['a proxy whose every trap throws', () => allTrapsThrow],
    ['an object whose every conversion throws', () => everythingThrows],
    ['a symbol', () => Symbol('thrown')],
    ['a BigInt', () => 12n],
    ['undefined', () => undefined],
    ['a 10 MB string', () => 'x'.repeat(10_000_000)],
    ['an object with toJSON returning undefined', () => ({ toJSON: () => undefined })],
  ];
}

describe('the operation boundary', () => {
  for (const [what, make] of hostileValues()) {
    it(`turns ${what} thrown from a notifier into an oops with a readable message`, () => {
      const k = createKernel();
      const value = make();
      k.bus('pci').registerNotifier({
        name: 'thrower',
        notifierCall: (action) => {
          if (action === BUS_NOTIFY_BOUND_DRIVER) throw value;
          return 0;
        },
      });
      k.registerDriver({ ...NOUVEAU, probe: 'ok' });
      expect(k.addDevice(GPU)).toBeNull();
      const oops = k.oops;
      expect(oops).not.toBeNull();
      expect(typeof oops!.message).toBe('string');
      expect(oops!.message).toMatch(/^BUG: unhandled exception in blocking_notifier_call_chain\(pci\): /);
      expect(oops!.message.length).toBeLessThan(400);
      expect(Object.is(oops!.cause, value)).toBe(true);
      // The half-done bind is a dead kernel's state, never a live one: every operation is refused.
      expect(() => k.sysfs.write('/sys/bus/pci/drivers/nouveau/unbind', GPU.address)).toThrow(/SIM_ERR_KERNEL_DEAD/);
      expect(k.dmesg.lines({ timestamps: false })).toContain(oops!.message);
    });

    it(`turns ${what} thrown from a probe into an oops`, () => {
      const k = createKernel();
      const value = make();
      k.registerDriver({
        ...NOUVEAU,
        probe: () => {
          throw value;
        },
      });
      expect(k.addDevice(GPU)).toBeNull();
      expect(k.oops?.message).toMatch(/^BUG: unhandled exception in nouveau probe: /);
      expect(() => k.addDevice({ bus: 'platform', name: 'x' })).toThrow(SimError);
    });
  }

  it('names an Error by its message, and other values readably', () => {
    const messages: string[] = [];
    for (const value of [new TypeError('bad thing'), 'a string', 42, Symbol('sym'), Object.create(null), 7n]) {
      const k = createKernel();
      k.bus('platform').registerNotifier({
        name: 'thrower',
        notifierCall: () => {
          throw value;
        },
      });
      k.addDevice({ bus: 'platform', name: 'p' });
      messages.push(k.oops!.message.replace(/^BUG: unhandled exception in [^:]+: /, ''));
    }
    expect(messages).toEqual(['bad thing', '"a string"', '42', 'Symbol(sym)', '{}', '7n']);
  });

  it('a callback that swallows the oops cannot keep the kernel alive', () => {
    const k: Kernel = createKernel();
    k.bus('platform').registerNotifier({
      name: 'swallower',
      notifierCall: () => {
        try {
          k.bug('drivers/test/swallow.c:1');
        } catch {
          // a careless plugin
        }
        return 0;
      },
    });
    expect(k.addDevice({ bus: 'platform', name: 'p' })).toBeNull();
    expect(k.oops?.message).toBe('kernel BUG at drivers/test/swallow.c:1!');
  });

  it('a trace listener that throws at the start of an operation is an oops, not a corrupt stack', () => {
    const k = createKernel();
    k.trace.subscribe((e) => {
      if (e.type === 'op.begin') throw Object.create(null);
    });
    expect(k.addDevice({ bus: 'platform', name: 'p' })).toBeNull();
    expect(k.oops?.callPath).toEqual(['device_add p']);
  });
});

describe('a dead kernel', () => {
  function dead(): { k: Kernel; calls: string[]; nb: { name: string; notifierCall: () => number } } {
    const k = createKernel();
    const calls: string[] = [];
    const nb = {
      name: 'counter',
      notifierCall: () => {
        calls.push('called');
        return 0;
      },
    };
    k.bus('platform').registerNotifier(nb);
    k.bus('pci').registerNotifier({
      name: 'bugger',
      notifierCall: (action) => (action === BUS_NOTIFY_BOUND_DRIVER ? k.bug('drivers/test/bug.c:7') : 0),
    });
    k.registerDriver({ ...NOUVEAU, probe: 'ok' });
    k.addDevice(GPU);
    expect(k.oops).not.toBeNull();
    calls.length = 0;
    return { k, calls, nb };
  }

  const refusals: [string, (k: Kernel, nb: { name: string; notifierCall: () => number }) => unknown][] = [
    ['bus.registerNotifier()', (k) => k.bus('platform').registerNotifier({ name: 'late', notifierCall: () => 0 })],
    ['bus.unregisterNotifier()', (k, nb) => k.bus('platform').unregisterNotifier(nb)],
    ['notifier.callChain()', (k) => k.bus('platform').notifier.callChain(1, null)],
    ['notifier.callChainLimited()', (k) => k.bus('platform').notifier.callChainLimited(1, null, -1)],
    ['kernel.callChain()', (k) => k.callChain(k.bus('platform').notifier, 1, null, 'test')],
    ['kernel.callChain() on a chain of its own', (k) => k.callChain({ name: 'x', callChain: () => 0 }, 1, null, 't')],
    ['kernel.createChain()', (k) => k.createChain('blocking', 'late-chain')],
    ['kernel.dropChain()', (k) => k.dropChain(k.bus('platform').notifier)],
    ['kernel.traceOutcome()', (k) => k.traceOutcome(k.bus('pci').notifier, 1, 0, 'x', 'ignored', 'x')],
    ['inject.notifier()', (k) => k.inject.notifier({ chain: 'platform', action: 'any', answer: 'NOTIFY_BAD' })],
    ['inject.probe()', (k) => k.inject.probe({ driver: 'nouveau', bus: 'pci', errno: -12 })],
    ['printk()', (k) => k.printk(6, 'hello')],
    ['devPrintk()', (k) => k.devPrintk(6, k.device(GPU.address)!, 'hello')],
    ['prDebug()', (k) => k.prDebug('hello')],
    ['devDbg()', (k) => k.devDbg(k.device(GPU.address)!, 'hello')],
    ['warn()', (k) => k.warn('x.c:1', 'hello')],
    ['bug()', (k) => k.bug('x.c:1')],
    ['hang()', (k) => k.hang('x.c:1', 'waits')],
    ['withFrame()', (k) => k.withFrame('f', () => 0)],
    ['sysfs.createDir()', (k) => k.sysfs.createDir('/sys/kernel/late')],
    ['sysfs.createFile()', (k) => k.sysfs.createFile('/sys/kernel/late', { mode: 0o444, show: () => 'x' })],
    ['sysfs.createLink()', (k) => k.sysfs.createLink('/sys/kernel/late', '/sys/bus')],
    ['sysfs.remove()', (k) => k.sysfs.remove('/sys/kernel/late')],
    ['sysfs.write()', (k) => k.sysfs.write('/sys/bus/pci/rescan', '1')],
    ['dev.register()', (k) => k.dev.register('late', {})],
    ['dev.unregister()', (k) => k.dev.unregister('late')],
    ['dev.anonInodeGetfd()', (k) => k.dev.anonInodeGetfd('[late]', {}, null)],
    ['dev.open()', (k) => k.dev.open('/dev/late')],
    ['dmesg.clear()', (k) => k.dmesg.clear()],
    ['busRegister()', (k) => k.busRegister({ name: 'late' })],
  ];
  for (const [what, call] of refusals) {
    it(`refuses ${what} with SIM_ERR_KERNEL_DEAD and runs no callback`, () => {
      const { k, calls, nb } = dead();
      const before = k.dmesg.records().length;
      let error: unknown = null;
      try {
        call(k, nb);
      } catch (e) {
        error = e;
      }
      expect(SimError.isInstance(error) ? error.code : error).toBe('SIM_ERR_KERNEL_DEAD');
      expect(calls).toEqual([]);
      expect(k.dmesg.records()).toHaveLength(before);
      expect(k.bus('platform').notifier.blocks()).toEqual([nb]);
    });
  }

  it('a registration handle cannot undo anything on a dead kernel', () => {
    const k = createKernel();
    const reg = k.bus('platform').registerNotifier({ name: 'a', notifierCall: () => 0 });
    k.bus('platform').registerNotifier({ name: 'b', notifierCall: () => k.bug('x.c:2') });
    k.addDevice({ bus: 'platform', name: 'p' });
    expect(() => reg.unregister()).toThrow(/SIM_ERR_KERNEL_DEAD/);
    expect(
      k
        .bus('platform')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['a', 'b']);
  });

  it('keeps every read working', () => {
    const { k } = dead();
    expect(k.sysfs.read(`/sys/bus/pci/devices/${GPU.address}/vendor`)).toBe('0x10de\n');
    expect(k.sysfs.list('/sys/bus')).toEqual(['i2c', 'pci', 'platform']);
    expect(typeof k.sysfs.readlink(`/sys/bus/pci/devices/${GPU.address}`)).toBe('string');
    expect(k.dmesg.lines().length).toBeGreaterThan(0);
    expect(k.devices().map((d) => d.name)).toEqual([GPU.address]);
    expect(
      k
        .bus('pci')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual(['bugger']);
    expect(k.chains()).toContain('pci');
    expect(k.dev.list()).toEqual([]);
    expect(k.inject.list()).toEqual([]);
    const rec = k.trace.record();
    rec.stop();
  });

  it('a closed kernel refuses the same calls with SIM_ERR_KERNEL_CLOSED', () => {
    const k = createKernel();
    const calls: string[] = [];
    k.bus('platform').registerNotifier({
      name: 'counter',
      notifierCall: () => {
        calls.push('x');
        return 0;
      },
    });
    k.close();
    for (const call of [
      () => k.bus('platform').notifier.callChain(1, null),
      () => k.printk(6, 'x'),
      () => k.createChain('raw', 'c'),
      () => k.sysfs.createDir('/sys/kernel/x'),
    ]) {
      expect(() => call()).toThrow(/SIM_ERR_KERNEL_CLOSED/);
    }
    expect(calls).toEqual([]);
  });
});
