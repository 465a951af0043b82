// The engine's one module of seeded randomness: the same seed gives the same numbers everywhere (Node, the worker,
// the CLI), so runs, splits and sweeps are reproducible. Two generators, each kept bit-exact for its callers:
//
//  - `Rng`: sfc32 seeded through splitmix32, whose whole state is four integers, so a checkpoint can store it and a
//    resumed run draws exactly the same numbers as an uninterrupted one (training: batch order, k-fold, dropout seeds).
//  - `mulberry32`: one 32-bit integer of state; small and fast, used for splits, balancing, augmentation, random
//    sweeps and (inlined in one loop, `dropoutMask`) dropout masks.
//  - `lcg32`: the Numerical Recipes linear congruential generator, for synthetic benchmark and test data only (weak,
//    but the benchmarks' recorded numbers were measured on its sequences).
//
// Changing either algorithm changes every seeded split, sweep and training run: keep them as they are.

// ---- sfc32 (splitmix32-seeded) ----

export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: RngState;
  constructor(seedOrState: number | RngState) {
    if (typeof seedOrState === 'number') {
      const sm = splitmix32(seedOrState);
      this.s = [sm(), sm(), sm(), sm()];
      for (let i = 0; i < 12; i++) this.nextUint32();
    } else {
      this.s = [...seedOrState] as RngState;
    }
  }
  nextUint32(): number {
    let [a, b, c, d] = this.s;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    this.s = [a >>> 0, b >>> 0, c >>> 0, d];
    return t;
  }
  /** uniform in [0, 1) */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher–Yates shuffle in place */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
  state(): RngState {
    return [...this.s] as RngState;
  }
}

// ---- mulberry32 ----

/** mulberry32: small, fast, good enough for shuffling; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle. */
export function shuffleInPlace<T>(a: T[] | Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/**
 * An inverted-dropout mask of n entries: 0 with probability `rate`, else 1/(1-rate). mulberry32's sequence for `seed`,
 * drawn in one loop without a closure call per entry and compared as integers (tf.dropout draws through
 * tf.randomUniform's seedrandom generator and four more kernels, ~7 % of a bert-tiny training step on wasm).
 */
export function dropoutMask(n: number, rate: number, seed: number): Float32Array {
  const mask = new Float32Array(n);
  const { keep, threshold } = dropoutConstants(rate);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    if ((t ^ (t >>> 14)) >>> 0 >= threshold) mask[i] = keep;
  }
  return mask;
}

/**
 * A dropout mask for a batch-major tensor of `n` entries whose batch rows are `rows` (their positions in the whole
 * batch): each row's n / rows.length entries are `dropoutMask` of a seed mixed from `seed` and the row's position. A
 * row's mask depends only on the seed and where the row sits in the batch, not on which rows share the tensor, so a
 * batch split into shards across threads (lib/train/data-parallel.ts) draws the same masks as the whole batch.
 */
export function rowDropoutMask(n: number, rows: readonly number[], rate: number, seed: number): Float32Array {
  const per = n / rows.length;
  if (!Number.isInteger(per)) throw new Error(`a dropout mask of ${n} entries does not split into ${rows.length} rows`);
  const mask = new Float32Array(n);
  rows.forEach((row, r) => mask.set(dropoutMask(per, rate, rowSeed(seed, row)), r * per));
  return mask;
}

/** The dropout seed of the batch row at position `row`, mixed from the micro-batch's seed (rowDropoutMask). */
export function rowSeed(seed: number, row: number): number {
  let z = (seed ^ Math.imul(row + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The threshold and scale dropoutMask uses: a draw below the threshold drops its entry, the others are scaled. */
export function dropoutConstants(rate: number): { threshold: number; keep: number } {
  return { threshold: Math.min(2 ** 32 - 1, Math.floor(rate * 2 ** 32)), keep: 1 / (1 - rate) };
}

// ---- lcg32 ----

/** Numerical Recipes' LCG (s = 1664525·s + 1013904223 mod 2^32); returns floats in [0, 1). Synthetic data only. */
export function lcg32(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}
