import {
  type BusNotifierBlock,
  createKernel,
  type DeviceSpec,
  type DriverSpec,
  type Kernel,
  NOTIFY_BAD,
  type TraceEvent,
} from '@sim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshot } from './helpers.ts';

const DEVICES: DeviceSpec[] = [
  { bus: 'pci', address: '0000:01:00.0', vendor: 0x10de, device: 0x1b80, class: 0x030000 },
  { bus: 'pci', address: '0000:01:00.1', vendor: 0x10de, device: 0x10f0, class: 0x040300 },
  { bus: 'pci', address: '0000:02:00.0', vendor: 0x8086, device: 0x10fb, class: 0x020000 },
  { bus: 'platform', name: 'uart', id: 0 },
  { bus: 'platform', name: 'clk' },
];
const NAMES = ['0000:01:00.0', '0000:01:00.1', '0000:02:00.0', 'uart.0', 'clk'];
const DRIVERS: DriverSpec[] = [
  { name: 'nouveau', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x1b80 }], probe: 'ok' },
  { name: 'snd_hda_intel', bus: 'pci', ids: [{ vendor: 0x10de, device: 0x10f0 }], probe: { errno: -12 } },
  { name: 'vfio-pci', bus: 'pci', probe: 'ok' },
  { name: 'ixgbe', bus: 'pci', ids: [{ vendor: 0x8086, device: 0x10fb }], probe: 'defer' },
  { name: 'uart', bus: 'platform', probe: { deferUntil: 'clk' } },
  { name: 'clk', bus: 'platform', probe: 'ok' },
];

type Op =
  | { op: 'add' | 'remove'; dev: number }
  | { op: 'register' | 'unregister'; drv: number }
  | { op: 'bind' | 'unbind'; drv: number; dev: number }
  | { op: 'override'; dev: number; to: string }
  | { op: 'new_id'; drv: number; ids: string }
  | { op: 'drivers_probe'; dev: number }
  | { op: 'autoprobe'; bus: 'pci' | 'platform'; on: boolean }
  | { op: 'veto'; on: boolean };

const dev = fc.nat(DEVICES.length - 1);
const drv = fc.nat(DRIVERS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), dev }),
  fc.record({ op: fc.constantFrom('register' as const, 'unregister' as const), drv }),
  fc.record({ op: fc.constantFrom('bind' as const, 'unbind' as const), drv, dev }),
  fc.record({ op: fc.constant('override' as const), dev, to: fc.constantFrom('', 'vfio-pci\n', 'clk', 'nouveau\n') }),
  fc.record({ op: fc.constant('new_id' as const), drv, ids: fc.constantFrom('10de 10f0', '8086 10fb', '10de', 'zz') }),
  fc.record({ op: fc.constant('drivers_probe' as const), dev }),
  fc.record({
    op: fc.constant('autoprobe' as const),
    bus: fc.constantFrom('pci' as const, 'platform' as const),
    on: fc.boolean(),
  }),
  fc.record({ op: fc.constant('veto' as const), on: fc.boolean() }),
);

/** A block that vetoes every bind, in the kernel's own numbering (one per kernel: a block is registered once). */
const vetoBlocks = new WeakMap<Kernel, BusNotifierBlock>();
function vetoBlock(k: Kernel): BusNotifierBlock {
  let nb = vetoBlocks.get(k);
  if (nb === undefined) {
    const bind = k.busEvents.BUS_NOTIFY_BIND_DRIVER;
    nb = { name: 'veto', notifierCall: (a) => (a === bind ? NOTIFY_BAD : 0) };
    vetoBlocks.set(k, nb);
  }
  return nb;
}

/** Applies one operation; returns the write's result when it is a sysfs write, else null. */
function apply(k: Kernel, o: Op): number | null {
  const spec = 'dev' in o ? DEVICES[o.dev]! : null;
  const name = 'dev' in o ? NAMES[o.dev]! : '';
  const driver = 'drv' in o ? DRIVERS[o.drv]! : null;
  switch (o.op) {
    case 'add':
      if (k.device(name) === undefined) k.addDevice(spec!);
      return null;
    case 'remove':
      if (k.device(name) !== undefined) k.removeDevice(name);
      return null;
    case 'register':
      if (k.driver(driver!.name, driver!.bus) === undefined) k.registerDriver(driver!);
      return null;
    case 'unregister':
      if (k.driver(driver!.name, driver!.bus) !== undefined) k.unregisterDriver(driver!.name, driver!.bus);
      return null;
    case 'bind':
    case 'unbind':
      return k.sysfs.write(`/sys/bus/${driver!.bus}/drivers/${driver!.name}/${o.op}`, `${name}\n`);
    case 'override':
      return k.sysfs.write(`/sys/bus/${spec!.bus}/devices/${name}/driver_override`, o.to);
    case 'new_id':
      return k.sysfs.write(`/sys/bus/${driver!.bus}/drivers/${driver!.name}/new_id`, o.ids);
    case 'drivers_probe':
      return k.sysfs.write(`/sys/bus/${spec!.bus}/drivers_probe`, name);
    case 'autoprobe':
      return k.sysfs.write(`/sys/bus/${o.bus}/drivers_autoprobe`, o.on ? '1' : '0');
    case 'veto':
      if (o.on && !k.bus('pci').notifier.blocks().includes(vetoBlock(k))) k.bus('pci').registerNotifier(vetoBlock(k));
      if (!o.on) k.bus('pci').unregisterNotifier(vetoBlock(k));
      return null;
  }
}

/** device has a driver <=> both links exist <=> it is on the driver's list (checked through the public surface). */
function checkLinks(k: Kernel): void {
  for (const d of k.devices()) {
    const drvLink = `/sys/bus/${d.bus.name}/devices/${d.name}/driver`;
    const hasLink = k.sysfs.exists(drvLink);
    const onList = d.driver?.devices().includes(d) === true;
    const inDir =
      d.driver !== null &&
      (k.sysfs.list(`/sys/bus/${d.bus.name}/drivers/${d.driver.name}`) as string[]).includes(d.name);
    expect([d.name, d.driver !== null, hasLink, onList, inDir, d.isBound]).toEqual([
      d.name,
      hasLink,
      hasLink,
      hasLink,
      hasLink,
      hasLink,
    ]);
  }
  for (const b of k.buses()) for (const r of b.drivers()) for (const d of r.devices()) expect(d.driver).toBe(r);
}

/** Every BIND_DRIVER of a device is followed by exactly one BOUND_DRIVER or DRIVER_NOT_BOUND before its next BIND. */
function checkPairs(events: readonly TraceEvent[]): void {
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.type !== 'chain.call' || e.device === null) continue;
    const key = `${e.chain}/${e.device}`;
    if (e.actionName === 'BUS_NOTIFY_BIND_DRIVER') {
      expect(open.has(key), `${key}: BIND_DRIVER twice without an answer`).toBe(false);
      open.set(key, e.seq);
    } else if (e.actionName === 'BUS_NOTIFY_BOUND_DRIVER' || e.actionName === 'BUS_NOTIFY_DRIVER_NOT_BOUND') {
      expect(open.has(key), `${key}: ${e.actionName} without BIND_DRIVER`).toBe(true);
      open.delete(key);
    }
  }
  expect([...open.keys()]).toEqual([]);
}

describe('bind path invariants over random operation sequences', () => {
  it('hold after every step, under v4.12, the seed flag and v6.12; failed writes change nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('v4.12', 'v4.12+bind-veto', 'v6.12'),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        (profile, ops) => {
          const k = createKernel({ profile, dynamicDebug: false });
          const { events } = k.trace.record();
          for (const o of ops) {
            const before = snapshot(k);
            const ret = apply(k, o);
            if (ret !== null && ret < 0) expect(snapshot(k), JSON.stringify(o)).toEqual(before);
            checkLinks(k);
          }
          expect(k.oops).toBeNull();
          checkPairs(events);
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);
});
