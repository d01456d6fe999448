import { createKernel, isI2cAdapter } from '@sim/core';
import { i2cdevPlugin } from '@sim/i2cdev';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const MINORS = 6;

describe('i2c-dev invariants', () => {
  it('after any adds and removals, /dev and /sys/class/i2c-dev hold exactly the adapters numbered below I2C_MINORS', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), nr: fc.option(fc.nat(9), { nil: undefined }) }),
      fc.record({ op: fc.constant('del' as const), nr: fc.nat(9) }),
      fc.record({ op: fc.constant('client' as const), nr: fc.nat(9), addr: fc.nat(0x7f) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.boolean(), (ops, lateUse) => {
        const plugin = i2cdevPlugin({ minors: MINORS });
        const kernel = createKernel({ plugins: lateUse ? [] : [plugin] });
        for (const o of ops) {
          if (o.op === 'add') kernel.addDevice({ bus: 'i2c', kind: 'adapter', name: `a${o.nr ?? 'x'}`, nr: o.nr });
          else if (o.op === 'client' && kernel.device(`i2c-${o.nr}`, 'i2c') !== undefined)
            kernel.addDevice({ bus: 'i2c', kind: 'client', name: 'c', adapter: o.nr, addr: o.addr });
          else if (o.op === 'del' && kernel.device(`i2c-${o.nr}`, 'i2c') !== undefined)
            kernel.removeDevice(`i2c-${o.nr}`);
        }
        // Loaded late, the replay stops at the first adapter past the minors (bus_for_each_dev order).
        let expected: number[] = [];
        const adapters = kernel.bus('i2c').devices().filter(isI2cAdapter);
        if (lateUse) {
          kernel.use(plugin);
          const stop = adapters.findIndex((a) => a.nr >= MINORS);
          expected = (stop === -1 ? adapters : adapters.slice(0, stop)).map((a) => a.nr);
        } else {
          expected = adapters.filter((a) => a.nr < MINORS).map((a) => a.nr);
        }
        const sorted = [...expected].sort((a, b) => a - b);
        expect(plugin.state(kernel)?.entries.map((e) => e.nr)).toEqual(expected);
        expect(kernel.dev.list()).toEqual(sorted.map((n) => `/dev/i2c-${n}`).sort());
        expect(kernel.sysfs.list('/sys/class/i2c-dev')).toEqual(sorted.map((n) => `i2c-${n}`).sort());
        for (const n of sorted) {
          expect(kernel.sysfs.realpath(`/sys/class/i2c-dev/i2c-${n}/device`)).toBe(kernel.device(`i2c-${n}`)!.path);
        }
        kernel.close();
        expect(kernel.dev.list()).toEqual([]);
        expect(kernel.sysfs.exists('/sys/class/i2c-dev')).toBe(false);
        for (const a of adapters) expect(kernel.sysfs.list(a.path)).not.toContain('i2c-dev');
      }),
      { numRuns: 200 },
    );
  });
});
