// lib/rng.ts is the engine's one seeded-randomness module. These values were drawn from the copies it replaced
// (lib/train/rng.ts, lib/data/rng.ts, the inline mulberry32s of sweeps and dropout, bench's LCG): any change to them
// changes every stored split, sweep and training run, so they are pinned here.
import { describe, expect, it } from 'vitest';
import { dropoutMask, lcg32, mulberry32, randInt, Rng, shuffleInPlace } from '@/lib/rng';

describe('Rng (sfc32 seeded by splitmix32)', () => {
  it('draws the same numbers as before', () => {
    const r = new Rng(42);
    expect(Array.from({ length: 5 }, () => r.nextUint32())).toEqual([1028872839, 2516511472, 400437680, 853279530, 1920286840]);
    const s = new Rng([1, 2, 3, 4]);
    expect(Array.from({ length: 3 }, () => s.nextUint32())).toEqual([7, 34, 56623200]);
  });
});

describe('mulberry32', () => {
  it('draws the same numbers as before', () => {
    const m = mulberry32(7);
    expect(Array.from({ length: 4 }, () => m())).toEqual([0.011704753153026104, 0.06195825757458806, 0.97690763277933, 0.6990287057124078]);
  });
  it('shuffles and picks as before', () => {
    const a = Array.from({ length: 30 }, (_, i) => i);
    const m = mulberry32(9);
    shuffleInPlace(a, m);
    expect(a).toEqual([28, 27, 26, 0, 7, 14, 1, 25, 12, 19, 9, 23, 16, 8, 10, 4, 15, 29, 11, 20, 13, 2, 21, 6, 17, 18, 22, 3, 24, 5]);
    expect(randInt(m, 77)).toBe(40);
  });
  it('dropoutMask follows the same sequence in one loop', () => {
    const mask = dropoutMask(10000, 0.1, 3);
    let h = 0;
    for (const x of mask) h = (h * 31 + (x ? 1 : 0)) >>> 0;
    expect(h).toBe(1814687861);
    expect(mask[0]).toBeCloseTo(1 / 0.9, 6);
    expect(mask[1]).toBe(0);
    // a mask entry is kept exactly where mulberry32's draw reaches the rate
    const m = mulberry32(3);
    const small = dropoutMask(1000, 0.3, 3);
    for (let i = 0; i < 1000; i++) expect(small[i] !== 0).toBe(m() >= 0.3);
  });
});

describe('lcg32', () => {
  it('is the Numerical Recipes LCG', () => {
    const r = lcg32(1);
    expect(Array.from({ length: 3 }, () => r() * 2 ** 32)).toEqual([1015568748, 1586005467, 2165703038]);
  });
});
