import {
  BUS_NOTIFY_V6_12,
  createKernel,
  KERN_INFO,
  type Kernel,
  NOTIFY_DONE,
  NOTIFY_OK,
  type TraceEvent,
} from '@sim/core';
import { I2C_MINORS_V6_12, I2CDEV_NOTIFIER_NAME, i2cdevPlugin } from '@sim/i2cdev';
import { describe, expect, it } from 'vitest';

// i2c-dev of 6.12 (drivers/i2c/i2c-dev.c): since v6.3 ("i2c: dev: Fix bus callback return values") the notifier
// answers NOTIFY_OK / NOTIFY_DONE instead of the attach's errno; I2C_MINORS is MINORMASK + 1; pr_fmt "i2c_dev: ".

function answers(k: Kernel, fn: () => void): string[] {
  const { events, stop } = k.trace.record();
  fn();
  stop();
  return (events as TraceEvent[])
    .filter((e) => e.type === 'chain.block' && e.block === I2CDEV_NOTIFIER_NAME)
    .map((e) => `${(e as { actionName: string }).actionName}=${(e as { ret: number }).ret}`);
}

describe('i2c-dev on 6.12', () => {
  it('an adapter gets its node; the answers are NOTIFY_OK / NOTIFY_DONE; the lines carry i2c_dev:', () => {
    const k = createKernel({ profile: 'v6.12', plugins: [i2cdevPlugin()] });
    expect(i2cdevPlugin().state(k)).toBeUndefined();
    expect(k.dmesg.lines({ level: KERN_INFO, timestamps: false })).toEqual(['i2c_dev: i2c /dev entries driver']);
    const got = answers(k, () => {
      k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'SMBus I801 adapter', nr: 0 });
      k.addDevice({ bus: 'i2c', kind: 'client', name: 'eeprom', adapter: 0, addr: 0x50 });
      k.removeDevice('i2c-0', 'i2c');
    });
    expect(got).toEqual([
      `BUS_NOTIFY_ADD_DEVICE=${NOTIFY_OK}`,
      `BUS_NOTIFY_ADD_DEVICE=${NOTIFY_DONE}`,
      `BUS_NOTIFY_DEL_DEVICE=${NOTIFY_DONE}`,
      `BUS_NOTIFY_REMOVED_DEVICE=${NOTIFY_DONE}`,
      `BUS_NOTIFY_DEL_DEVICE=${NOTIFY_OK}`,
      `BUS_NOTIFY_REMOVED_DEVICE=${NOTIFY_DONE}`,
    ]);
    expect(k.dev.exists('/dev/i2c-0')).toBe(false);
  });

  it('past I2C_MINORS (MINORMASK + 1 now): the error line, no node, and NOTIFY_DONE instead of -ENODEV', () => {
    expect(I2C_MINORS_V6_12).toBe(1 << 20);
    const plugin = i2cdevPlugin();
    const k = createKernel({ profile: 'v6.12', plugins: [plugin] });
    expect(plugin.state(k)?.minors).toBe(I2C_MINORS_V6_12);
    const got = answers(k, () => k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'far', nr: I2C_MINORS_V6_12 }));
    expect(got).toEqual([`BUS_NOTIFY_ADD_DEVICE=${NOTIFY_DONE}`]);
    expect(k.dmesg.lines({ level: 3, timestamps: false })).toEqual([`i2c_dev: Out of device minors (${1 << 20})`]);
    expect(k.dev.exists(`/dev/i2c-${1 << 20}`)).toBe(false);
    // v4.12's limit is one lower, and its answer the raw errno.
    const old = createKernel({ plugins: [i2cdevPlugin()] });
    const oldGot = answers(old, () => old.addDevice({ bus: 'i2c', kind: 'adapter', name: 'far', nr: (1 << 20) - 1 }));
    expect(oldGot).toEqual(['BUS_NOTIFY_ADD_DEVICE=-19']);
  });

  it('the replay at load tries every adapter, a failing one included (the wrapper returns 0)', () => {
    const k = createKernel({ profile: 'v6.12' });
    k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'far', nr: 9 });
    k.addDevice({ bus: 'i2c', kind: 'adapter', name: 'near', nr: 3 });
    const plugin = i2cdevPlugin({ minors: 5 });
    k.use(plugin);
    expect(plugin.state(k)?.entries.map((e) => e.nr)).toEqual([3]);
    expect(BUS_NOTIFY_V6_12.BUS_NOTIFY_ADD_DEVICE).toBe(0);
  });
});
