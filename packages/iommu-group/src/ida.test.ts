import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ida } from './ida.ts';

describe('Ida', () => {
  it('hands out the lowest free id and reuses removed ones', () => {
    const ida = new Ida();
    expect([ida.get(), ida.get(), ida.get()]).toEqual([0, 1, 2]);
    ida.remove(1);
    expect(ida.get()).toBe(1);
    expect(ida.get()).toBe(3);
    ida.remove(0);
    ida.remove(2);
    expect([ida.get(), ida.get()]).toEqual([0, 2]);
  });

  it('skips reserved ids, which only getExact hands out', () => {
    const ida = new Ida(new Set([1, 2]));
    expect(ida.get()).toBe(0);
    expect(ida.get()).toBe(3);
    expect(ida.getExact(2)).toBe(2);
    expect(ida.getExact(2)).toBe(-1);
    ida.remove(2);
    expect(ida.getExact(2)).toBe(2);
  });

  it('always returns the lowest free id, whatever the sequence of gets and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(20)), { maxLength: 80 }), (ops) => {
        const ida = new Ida();
        const model = new Set<number>();
        for (const op of ops) {
          if (op === -1) {
            let want = 0;
            while (model.has(want)) want++;
            expect(ida.get()).toBe(want);
            model.add(want);
          } else {
            ida.remove(op);
            model.delete(op);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
