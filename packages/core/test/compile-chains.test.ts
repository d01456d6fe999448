import { createKernel, NOTIFY_DONE, SimError } from '@sim/core';
import { afterEach, describe, expect, it } from 'vitest';

/** Counts `new Function(...)` (the compiled tier's code generation) while a test runs. */
function countCodeGeneration(): { count: () => number; restore: () => void } {
  const real = globalThis.Function;
  let n = 0;
  globalThis.Function = new Proxy(real, {
    construct(target, args) {
      n++;
      return Reflect.construct(target, args);
    },
  });
  return {
    count: () => n,
    restore: () => {
      globalThis.Function = real;
    },
  };
}

/** A kernel with one bus whose chain has a block, called 50 times unchanged (hot enough to compile). */
function callHot(options: { compileChains?: boolean }): void {
  const k = createKernel(options);
  const bus = k.busRegister({ name: 'hot' });
  bus.registerNotifier({ name: 'listener', notifierCall: () => NOTIFY_DONE });
  for (let i = 0; i < 50; i++) expect(k.callChain(bus.notifier, 1, null, 'test')).toBe(NOTIFY_DONE);
  k.close();
}

describe('createKernel({ compileChains })', () => {
  let restore = () => {};
  afterEach(() => restore());

  it('compiles hot chains by default', () => {
    const c = countCodeGeneration();
    restore = c.restore;
    callHot({});
    expect(c.count()).toBeGreaterThan(0);
  });

  it('false keeps every chain on the interpreted walk: no generated code (a page under a strict CSP)', () => {
    const c = countCodeGeneration();
    restore = c.restore;
    callHot({ compileChains: false });
    expect(c.count()).toBe(0);
  });

  it('refuses a value that is not a boolean, naming the option', () => {
    for (const bad of ['no', 0, {}]) {
      let err: unknown;
      try {
        createKernel({ compileChains: bad as never });
      } catch (e) {
        err = e;
      }
      expect(SimError.isInstance(err)).toBe(true);
      expect((err as SimError).code).toBe('SIM_ERR_KERNEL_BAD_OPTION');
      expect((err as Error).message).toContain('compileChains must be true or false');
    }
  });
});
