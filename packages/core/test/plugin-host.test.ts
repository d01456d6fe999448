import { createKernel, type Kernel, type Plugin, SimError } from '@sim/core';
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
