import { describe, expect, it } from 'vitest';
import { runGenerator, SplitMix64, Xoshiro128 } from './prng.ts';

// Expected values from the authors' C reference code (xoshiro128starstar.c, splitmix64.c from prng.di.unimi.it),
// compiled and run with gcc.
describe('SplitMix64', () => {
  it('gives the reference outputs', () => {
    const zero = new SplitMix64(0n);
    expect([zero.next(), zero.next()]).toEqual([16294208416658607535n, 7960286522194355700n]);
    const other = new SplitMix64(1234567n);
    expect([other.next(), other.next()]).toEqual([6457827717110365317n, 3203168211198807973n]);
  });
});

describe('xoshiro128**', () => {
  it('gives the reference outputs from state 1, 2, 3, 4', () => {
    const g = new Xoshiro128(1, 2, 3, 4);
    expect(Array.from({ length: 6 }, () => g.next())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('gives the reference outputs when seeded through SplitMix64', () => {
    const a = Xoshiro128.fromSeed(0n);
    expect(Array.from({ length: 6 }, () => a.next())).toEqual([
      3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774,
    ]);
    const b = runGenerator(42, 7);
    expect(Array.from({ length: 6 }, () => b.next())).toEqual([
      3218433758, 3595279162, 1425948380, 2234227796, 3618828505, 1879865849,
    ]);
  });

  it('refuses the all-zero state, which would give zeros for ever', () => {
    expect(() => new Xoshiro128(0, 0, 0, 0)).toThrow(RangeError);
  });

  it('draws below(n) in range and about uniformly', () => {
    const g = runGenerator(1, 0);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60_000; i++) (counts[g.below(6)] as number)++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => g.below(0)).toThrow(RangeError);
    for (let i = 0; i < 1000; i++) expect(g.float()).toBeLessThan(1);
  });
});
