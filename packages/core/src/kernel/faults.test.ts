import { describe, expect, it } from 'vitest';
import type { DeviceImpl } from '../base/device.ts';
import type { DriverImpl } from '../base/driver.ts';
import { ENODEV, ENOENT, ENOMEM } from '../constants/errno.ts';
import { ProbeFaults } from './faults.ts';
import { Tracer } from './tracer.ts';

function faults() {
  const lines: string[] = [];
  const tracer = new Tracer(
    () => 0,
    () => {},
  );
  return { lines, f: new ProbeFaults({ tracer, printk: (_level, text) => lines.push(text) }) };
}

const drv = (name: string, probeCalls = 0) => ({ name, probeCalls }) as unknown as DriverImpl;
const DEV = { name: '0000:01:00.0' } as unknown as DeviceImpl;

describe('ProbeFaults', () => {
  it('keeps no list while no fault is in place, so the bind path checks one field', () => {
    const { f } = faults();
    expect(f.list).toBeNull();
    const remove = f.add({ driver: drv('a'), errno: -ENOMEM, at: null });
    expect(f.list).toHaveLength(1);
    expect(remove()).toBe(0);
    expect(f.list).toBeNull();
    expect(remove()).toBe(-ENOENT);
  });

  it("fails only its own driver's probe, on every call or on the numbered one, and says so in the log", () => {
    const { f, lines } = faults();
    const a = drv('a', 3);
    f.add({ driver: a, errno: -ENODEV, at: 4 });
    expect(f.check(a, DEV)).toBeNull();
    expect(f.check(drv('b', 4), DEV)).toBeNull();
    (a as { probeCalls: number }).probeCalls = 4;
    expect(f.check(a, DEV)).toBe(-ENODEV);
    expect(lines).toEqual([`FAULT_INJECTION: forcing a failure: probe of 0000:01:00.0 by a returns ${-ENODEV}`]);
    f.add({ driver: a, errno: -ENOMEM, at: null });
    (a as { probeCalls: number }).probeCalls = 9;
    expect(f.check(a, DEV)).toBe(-ENOMEM);
  });

  it('removing one fault leaves the others in place', () => {
    const { f } = faults();
    const a = drv('a');
    const removeFirst = f.add({ driver: a, errno: -ENOMEM, at: null });
    f.add({ driver: a, errno: -ENODEV, at: null });
    expect(f.check(a, DEV)).toBe(-ENOMEM);
    removeFirst();
    expect(f.check(a, DEV)).toBe(-ENODEV);
  });
});
