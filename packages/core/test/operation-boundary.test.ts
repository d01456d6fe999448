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
