/**
 * xoshiro128** 1.0 (Blackman & Vigna, 2018), seeded by SplitMix64 as its authors recommend. Small, fast, well
 * studied, and the same on every platform: PCT's runs are reproducible from (seed, run index) alone, whatever
 * the worker that runs them.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator whose state is four 32-bit words (not all zero). */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
  }

  /** The generator for `seed` (any 64-bit value): its state is two outputs of SplitMix64 started at `seed`. */
  static fromSeed(seed: bigint): Xoshiro128 {
    const mix = new SplitMix64(seed);
    const a = mix.next();
    const b = mix.next();
    return new Xoshiro128(Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n));
  }

  /** The next 32-bit output, as an unsigned integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 random bits. */
  float(): number {
    return this.next() / 4294967296;
  }

  /** An integer in [0, n), without modulo bias (rejection of the top remainder). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296)
      throw new RangeError(`below(n) needs 1 <= n <= 2^32, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** SplitMix64 (Steele, Lea & Flood 2014), in BigInt: used only to seed, a few calls per run. */
export class SplitMix64 {
  private state: bigint;

  constructor(seed: bigint) {
    this.state = BigInt.asUintN(64, seed);
  }

  next(): bigint {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }
}

/** The generator of PCT run `run` under `seed`: SplitMix64 seeded with seed·2^32 + run. */
export function runGenerator(seed: number, run: number): Xoshiro128 {
  return Xoshiro128.fromSeed((BigInt(seed) << 32n) | BigInt(run));
}
