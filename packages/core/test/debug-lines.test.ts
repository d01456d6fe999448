import { createKernel, SimError } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { GPU } from './helpers.ts';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (e) {
    return SimError.isInstance(e) ? e.code : `not a SimError: ${String(e)}`;
  }
  return null;
}

// pr_debug() and dev_dbg() decide "nothing to print" on the kernel object itself when dynamic debug is off (the bind
// path's fast way out); misuse and a dead kernel must still be told, as with dynamic debug on.
describe.each([true, false])('pr_debug and dev_dbg with dynamicDebug %s', (dynamicDebug) => {
  it('keep a line only with dynamic debug', () => {
    const k = createKernel({ dynamicDebug });
    k.addDevice(GPU);
    const before = k.dmesg.records().length;
    k.prDebug('bus: a line');
    k.devDbg(k.device(GPU.address)!, 'another');
    expect(k.dmesg.records().length - before).toBe(dynamicDebug ? 2 : 0);
  });

  it('refuse a text that is not a string, and a device that is not one', () => {
    const k = createKernel({ dynamicDebug });
    k.addDevice(GPU);
    const dev = k.device(GPU.address)!;
    expect(codeOf(() => k.prDebug(42 as never))).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
    expect(codeOf(() => k.devDbg(dev, null as never))).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
    expect(codeOf(() => k.devDbg({ name: 'x' } as never, 'text'))).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
    expect(codeOf(() => k.devDbg(null as never, 'text'))).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
  });

  it('refuse to run on a closed kernel', () => {
    const k = createKernel({ dynamicDebug });
    k.addDevice(GPU);
    const dev = k.device(GPU.address)!;
    k.close();
    expect(codeOf(() => k.prDebug('x'))).toBe('SIM_ERR_KERNEL_CLOSED');
    expect(codeOf(() => k.devDbg(dev, 'x'))).toBe('SIM_ERR_KERNEL_CLOSED');
  });
});
