// The bundle file's pure parts: CRC-32 as zip computes it, JSON that keeps NaN and infinities (metrics have them), the
// checkpoint codec (tensors byte for byte, the weight average kept or absent), and writing with progress in bytes.
import { describe, expect, it } from 'vitest';
import { strToU8, unzipSync } from 'fflate';
import { readBundle, writeBundle } from '@/lib/export/bundle-format';
import { crc32, decodeCheckpoint, encodeCheckpoint, fromJson, toJson } from '@/lib/export/bundle-parts';
import type { Checkpoint } from '@/lib/store/types';

const ckpt = (ema: boolean): Checkpoint => ({
  id: 'best',
  runId: 'run-1',
  step: 15,
  epoch: 2,
  best: true,
  createdAt: 1,
  reason: 'best',
  weights: {
    'encoder/dense.kernel': { shape: [2, 2], data: Float32Array.from([1, -0, NaN, 3.5e-39]) },
    bias: { shape: [], data: Float32Array.of(2) },
  },
  optimizer: { kind: 'adamw', step: 15, m: { bias: { shape: [], data: Float32Array.of(0.1) } }, v: {} },
  ...(ema ? { ema: { bias: { shape: [], data: Float32Array.of(1.9) } } } : {}),
  rng: [1, 2, 3, 4],
  data: { epoch: 2, cursor: 1, plan: [[0, 1]] },
  config: {} as Checkpoint['config'],
  controls: { lrMultiplier: 1, extraEpochs: 0 },
  metricsSoFar: { evals: [{ step: 5, epoch: 0, scalars: { loss: Infinity, macroF1: NaN } }], best: null, badEvals: 0 },
});

describe('bundle format', () => {
  it('computes the zip CRC-32', () => {
    expect(crc32(strToU8('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('keeps NaN and infinities through its JSON', () => {
    const v = { a: NaN, b: [Infinity, -Infinity, 1.5], c: { $number: 'kept' }, d: 'NaN', e: null };
    expect(fromJson(toJson(v))).toEqual(v);
  });

  it('round-trips a checkpoint with its tensors byte for byte, with or without a weight average', () => {
    for (const ema of [true, false]) {
      const c = ckpt(ema);
      const { state, tensors } = encodeCheckpoint(c);
      const back = decodeCheckpoint(state, tensors, 'c.safetensors');
      expect(back).toEqual(c);
      expect(Buffer.from(back.weights['encoder/dense.kernel'].data.buffer)).toEqual(
        Buffer.from(c.weights['encoder/dense.kernel'].data.buffer),
      );
      expect('ema' in back).toBe(ema);
    }
  });

  it('writes bundle.json first and every part, reporting progress up to the total bytes', () => {
    const seen: [number, number][] = [];
    const parts = [
      { path: 'a/rows.json', bytes: strToU8('[["x"]]'), compress: true },
      { path: 'a/empty.bin', bytes: new Uint8Array(0), compress: false },
      { path: 'a/big.bin', bytes: new Uint8Array(3 << 20).fill(7), compress: false },
    ];
    const zip = writeBundle({ format: 'finetune-studio-bundle', version: 1, createdAt: 'now', datasets: [], runs: [] }, parts, (d, t) =>
      seen.push([d, t]),
    );
    expect(Object.keys(unzipSync(zip))).toEqual(['bundle.json', 'a/rows.json', 'a/empty.bin', 'a/big.bin']);
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
    const opened = readBundle(zip, 'b.zip');
    expect(Buffer.from(opened.part('a/big.bin')).equals(parts[2].bytes)).toBe(true);
    expect(opened.manifest.parts['a/empty.bin']).toEqual({ bytes: 0, crc32: 0 });
    expect(() => opened.part('a/none')).toThrow(/the bundle has no entry "a\/none"/);
  });
});
