import {
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
  createKernel,
  type DeviceSpec,
  EPROBE_DEFER,
  type Kernel,
  SimError,
} from '@sim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Whatever a callback throws inside an operation (any value at all: fast-check's anything(), symbols, revoked
// proxies, objects whose getters or conversions throw, Errors whose message cannot be read, huge strings), the
// operation ends: either it never reached the throw, or the kernel died with a readable oops whose cause is the
// value. After every step, a live kernel keeps the bind-path invariants (device.driver set <=> both sysfs links
// <=> the driver's device list), and a dead one refuses every operation but can still be read.

const DEVICES: DeviceSpec[] = [
  { bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80 },
  { bus: 'pci', address: '0000:02:00.0', vendor: 0x8086, device: 0x10fb },
  { bus: 'platform', name: 'uart', id: 0 },
  { bus: 'platform', name: 'clk' },
];
const NAMES = ['0000:01:00.0', '0000:02:00.0', 'uart.0', 'clk'];
const DRIVERS = [
  { name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], answer: 0 },
  { name: 'ixgbe', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10fb }], answer: -EPROBE_DEFER },
  { name: 'uart', bus: 'platform', ids: undefined, answer: 0 },
  { name: 'clk', bus: 'platform', ids: undefined, answer: -12 },
] as const;
const ACTIONS = [
  BUS_NOTIFY_ADD_DEVICE,
  BUS_NOTIFY_DEL_DEVICE,
  BUS_NOTIFY_BIND_DRIVER,
  BUS_NOTIFY_BOUND_DRIVER,
  BUS_NOTIFY_UNBIND_DRIVER,
  BUS_NOTIFY_UNBOUND_DRIVER,
];

/**
 * Values no code should choke on when they are thrown, as makers: fast-check itself cannot carry a revoked proxy
 * or a proxy whose traps throw as a generated value, so those are made when thrown.
 */
interface Thrown {
  readonly what: string;
  make(): unknown;
}
const value = (what: string, make: () => unknown): Thrown => ({ what, make });
const hostile: fc.Arbitrary<Thrown> = fc.oneof(
  fc
    .anything({
      withBigInt: true,
      withNullPrototype: true,
      withObjectString: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
    })
    .map((v) => value(`anything: ${fc.stringify(v).slice(0, 60)}`, () => v)),
  fc.string().map((s) => value(`Symbol(${s})`, () => Symbol(s))),
  fc.constant(
    value('a revoked proxy', () => {
      const r = Proxy.revocable({}, {});
      r.revoke();
      return r.proxy;
    }),
  ),
  fc.string().map((s) =>
    value(`an Error(${JSON.stringify(s)}) whose message getter throws`, () => {
      const e = new Error(s);
      Object.defineProperty(e, 'message', {
        get() {
          throw new Error('message getter');
        },
      });
      return e;
    }),
  ),
  fc.constant(
    value(
      'a proxy whose get and getPrototypeOf traps throw',
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('get trap');
            },
            getPrototypeOf() {
              throw new Error('getPrototypeOf trap');
            },
          },
        ),
    ),
  ),
  fc.constant(
    value('a null-prototype object whose toString getter throws', () =>
      Object.create(null, {
        toString: {
          get() {
            throw new Error('toString getter');
          },
        },
      }),
    ),
  ),
  fc.nat(3).map((n) => value(`a string of ${1_000_000 + n} characters`, () => 'x'.repeat(1_000_000 + n))),
);

type Op =
  | { op: 'add' | 'remove'; dev: number }
  | { op: 'register' | 'unregister'; drv: number }
  | { op: 'bind' | 'unbind'; drv: number; dev: number }
  | { op: 'arm'; site: 'notify'; action: number; value: Thrown }
  | { op: 'arm'; site: 'probe' | 'remove'; drv: number; value: Thrown };

const dev = fc.nat(DEVICES.length - 1);
const drv = fc.nat(DRIVERS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), dev }),
  fc.record({ op: fc.constantFrom('register' as const, 'unregister' as const), drv }),
  fc.record({ op: fc.constantFrom('bind' as const, 'unbind' as const), drv, dev }),
  fc.record({
    op: fc.constant('arm' as const),
    site: fc.constant('notify' as const),
    action: fc.constantFrom(...ACTIONS),
    value: hostile,
  }),
  fc.record({
    op: fc.constant('arm' as const),
    site: fc.constantFrom('probe' as const, 'remove' as const),
    drv,
    value: hostile,
  }),
);

/** A kernel whose callbacks throw the armed value the next time the armed site is reached. */
function world() {
  const k = createKernel({ dynamicDebug: false, logRecords: 512 });
  let armed: Extract<Op, { op: 'arm' }> | null = null;
  let thrown: { value: unknown } | null = null;
  const fire = (): never => {
    const v = armed!.value.make();
    armed = null;
    thrown = { value: v };
    throw v;
  };
  for (const bus of ['pci', 'platform']) {
    k.bus(bus).registerNotifier({
      name: `thrower-${bus}`,
      notifierCall: (action) => {
        if (armed?.site === 'notify' && armed.action === action) fire();
        return 0;
      },
    });
  }
  const register = (i: number) => {
    const d = DRIVERS[i]!;
    k.registerDriver({
      name: d.name,
      bus: d.bus,
      ...(d.ids === undefined ? {} : { ids: d.ids }),
      probe: () => {
        if (armed?.site === 'probe' && DRIVERS[armed.drv]!.name === d.name) fire();
        return d.answer;
      },
      remove: () => {
        if (armed?.site === 'remove' && DRIVERS[armed.drv]!.name === d.name) fire();
      },
    });
  };
  return { k, register, arm: (o: Extract<Op, { op: 'arm' }>) => (armed = o), thrown: () => thrown };
}

function apply(w: ReturnType<typeof world>, o: Op): void {
  const { k } = w;
  const name = 'dev' in o ? NAMES[o.dev]! : '';
  const d = 'drv' in o ? DRIVERS[o.drv]! : null;
  switch (o.op) {
    case 'add':
      if (k.device(name) === undefined) k.addDevice(DEVICES[o.dev]!);
      return;
    case 'remove':
      if (k.device(name) !== undefined) k.removeDevice(name);
      return;
    case 'register':
      if (k.driver(d!.name, d!.bus) === undefined) w.register(o.drv);
      return;
    case 'unregister':
      if (k.driver(d!.name, d!.bus) !== undefined) k.unregisterDriver(d!.name, d!.bus);
      return;
    case 'bind':
    case 'unbind':
      if (k.driver(d!.name, d!.bus) !== undefined)
        k.sysfs.write(`/sys/bus/${d!.bus}/drivers/${d!.name}/${o.op}`, `${name}\n`);
      return;
    case 'arm':
      w.arm(o);
      return;
  }
}

/** device has a driver <=> both links exist <=> it is on the driver's list. */
function checkBindPath(k: Kernel): void {
  for (const dv of k.devices()) {
    const hasLink = k.sysfs.exists(`/sys/bus/${dv.bus.name}/devices/${dv.name}/driver`);
    const onList = dv.driver?.devices().includes(dv) === true;
    const inDir =
      dv.driver !== null &&
      (k.sysfs.list(`/sys/bus/${dv.bus.name}/drivers/${dv.driver.name}`) as string[]).includes(dv.name);
    expect([dv.name, dv.driver !== null, onList, inDir, dv.isBound]).toEqual([
      dv.name,
      hasLink,
      hasLink,
      hasLink,
      hasLink,
    ]);
  }
  for (const b of k.buses()) for (const r of b.drivers()) for (const x of r.devices()) expect(x.driver).toBe(r);
}

/** A dead kernel: a readable oops caused by what was thrown; every operation refused; reads still work. */
function checkDead(k: Kernel, thrown: { value: unknown } | null): void {
  const oops = k.oops!;
  expect(typeof oops.message).toBe('string');
  expect(oops.message.length).toBeLessThan(1200);
  if (thrown !== null) {
    expect(oops.message).toMatch(/^BUG: unhandled exception in /);
    expect(Object.is(oops.cause, thrown.value)).toBe(true);
  }
  let code: unknown = null;
  try {
    k.addDevice({ bus: 'platform', name: 'after-death' });
  } catch (e) {
    code = SimError.isInstance(e) ? e.code : e;
  }
  expect(code).toBe('SIM_ERR_KERNEL_DEAD');
  expect(() => k.bus('pci').notifier.callChain(1, null)).toThrow(/SIM_ERR_KERNEL_DEAD/);
  expect(Array.isArray(k.devices())).toBe(true);
  expect(k.dmesg.lines().length).toBeGreaterThan(0);
}

describe('any value thrown from a callback inside an operation', () => {
  it('ends the operation as an oops with a readable message, never as a live half-done bind', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 14 }), (ops) => {
        const w = world();
        for (const o of ops) {
          // No exception of any kind may reach the caller of a kernel operation.
          apply(w, o);
          if (w.k.oops !== null) {
            checkDead(w.k, w.thrown());
            return;
          }
          expect(w.thrown()).toBeNull();
          checkBindPath(w.k);
        }
      }),
      { numRuns: 300 },
    );
  });
});
