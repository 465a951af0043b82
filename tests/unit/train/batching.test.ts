import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { defaultPadMultiple, makeTensorBatch, paddedLength, planEpoch } from '@/lib/train/batching';
import { Rng } from '@/lib/rng';
import { clipScale } from '@/lib/train/clip';

beforeAll(useWasm);

describe('seeded rng', () => {
  it('continues identically from a saved state', () => {
    const a = new Rng(7);
    for (let i = 0; i < 10; i++) a.next();
    const b = new Rng(a.state());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(Array.from({ length: 20 }, () => a.nextUint32()));
  });
  it('different seeds give different streams; values lie in [0, 1)', () => {
    const xs = Array.from(
      { length: 1000 },
      (
        (r) => () =>
          r.next()
      )(new Rng(1)),
    );
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
  });
});

describe('batching', () => {
  const lengths = Array.from({ length: 500 }, (_, i) => 3 + ((i * 37) % 120));

  it('an epoch plan holds every example exactly once and depends only on the seed', () => {
    const plan = planEpoch(lengths, 16, 10, new Rng(5));
    expect(plan.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(plan.length).toBe(Math.ceil(500 / 16));
    expect(planEpoch(lengths, 16, 10, new Rng(5))).toEqual(plan);
    expect(planEpoch(lengths, 16, 10, new Rng(6))).not.toEqual(plan);
  });

  it('length bucketing cuts padding compared with plain shuffling', () => {
    const padding = (plan: number[][]) =>
      plan.reduce(
        (s, b) => s + b.length * paddedLength(Math.max(...b.map((i) => lengths[i])), 16) - b.reduce((a, i) => a + lengths[i], 0),
        0,
      );
    const bucketed = padding(planEpoch(lengths, 16, 20, new Rng(1)));
    const plain = padding(planEpoch(lengths, 16, 1, new Rng(1)));
    expect(bucketed).toBeLessThan(plain * 0.5);
  });

  it('padded lengths come from a bounded set: multiples of 16 up to 128, then of 64, capped at the model maximum', () => {
    expect(paddedLength(1, 16)).toBe(16);
    expect(paddedLength(16, 16)).toBe(16);
    expect(paddedLength(17, 16)).toBe(32);
    expect(paddedLength(17, 16, 20)).toBe(20);
    expect(paddedLength(129, 16)).toBe(192);
    expect(paddedLength(500, 16, 512)).toBe(512);
    const shapes = new Set(Array.from({ length: 512 }, (_, i) => paddedLength(i + 1, 16, 512)));
    expect([...shapes].sort((a, b) => a - b)).toEqual([16, 32, 48, 64, 80, 96, 112, 128, 192, 256, 320, 384, 448, 512]);
    for (let len = 1; len <= 512; len++) expect(paddedLength(len, 16, 512)).toBeGreaterThanOrEqual(len);
  });

  it('pads to multiples of 16 on GPU backends only; wasm and cpu pad to the longest sequence (multiples of 4 above 8)', () => {
    expect(defaultPadMultiple('webgpu')).toBe(16);
    expect(defaultPadMultiple('webgl')).toBe(16);
    expect(defaultPadMultiple('wasm')).toBe(1);
    expect(defaultPadMultiple('cpu')).toBe(1);
    expect([1, 5, 8, 9, 23, 24, 25, 64].map((n) => paddedLength(n, 1, 512))).toEqual([1, 5, 8, 12, 24, 24, 28, 64]);
  });

  it('gradient clipping scales by max/‖g‖ only when the global norm exceeds the maximum', () => {
    expect(clipScale(5, 1)).toBeCloseTo(0.2, 6); // g = [3, 4] -> [0.6, 0.8]
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(50, 0)).toBe(1); // 0 turns clipping off
  });

  it('pads right with the pad id, masks padding, keeps token type ids', () => {
    const ex = [
      { ids: [1, 5, 2], typeIds: [0, 0, 0], label: 0 },
      { ids: [1, 6, 7, 8, 2], typeIds: [0, 0, 0, 1, 1], label: 1 },
    ];
    const b = makeTensorBatch(ex, [1, 0], { padId: 9, multiple: 4 });
    expect(b.inputIds.shape).toEqual([2, 8]);
    expect(b.inputIds.arraySync()).toEqual([
      [1, 6, 7, 8, 2, 9, 9, 9],
      [1, 5, 2, 9, 9, 9, 9, 9],
    ]);
    expect(b.attentionMask.arraySync()).toEqual([
      [1, 1, 1, 1, 1, 0, 0, 0],
      [1, 1, 1, 0, 0, 0, 0, 0],
    ]);
    expect(b.tokenTypeIds!.arraySync()[0]).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(b.inputIds.dtype).toBe('int32');
    tf.dispose([b.inputIds, b.attentionMask, b.tokenTypeIds!]);
  });
});
