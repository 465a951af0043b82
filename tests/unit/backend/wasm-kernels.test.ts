// The engine's wasm BatchMatMul / GatherV2 / ScatterNd kernels (lib/backend/wasm-kernels.ts) against plain double-precision
// references, including every transpose/batch-broadcast combination the stock kernel sends to its slow loop.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { heapView } from '@/lib/backend/fast-paths';

beforeAll(useWasm);

/** Deterministic pseudo-random floats in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** a·b in float64 for [..batch, M, K]·[..batch, K, N] with flags and a batch of 1 broadcast. */
function referenceMatMul(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
  tA: boolean,
  tB: boolean,
): { data: number[]; shape: number[] } {
  const ra = aShape.length,
    rb = bShape.length;
  const M = tA ? aShape[ra - 1] : aShape[ra - 2];
  const K = tA ? aShape[ra - 2] : aShape[ra - 1];
  const N = tB ? bShape[rb - 2] : bShape[rb - 1];
  const outerA = aShape.slice(0, -2),
    outerB = bShape.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1),
    batchB = outerB.reduce((p, d) => p * d, 1);
  const batch = Math.max(batchA, batchB);
  const data: number[] = [];
  for (let g = 0; g < batch; g++) {
    const ga = batchA === 1 ? 0 : g,
      gb = batchB === 1 ? 0 : g;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[ga * M * K + (tA ? k * M + i : i * K + k)];
          const bv = b[gb * K * N + (tB ? j * K + k : k * N + j)];
          s += av * bv;
        }
        data.push(s);
      }
  }
  return { data, shape: [...(batchA >= batchB ? outerA : outerB), M, N] };
}

const cases: { a: number[]; b: number[]; tA?: boolean; tB?: boolean; note: string }[] = [
  { a: [5, 7], b: [7, 3], note: '2-D, no flags (stock XNNPACK path)' },
  { a: [7, 5], b: [7, 3], tA: true, note: '2-D, transposeA' },
  { a: [5, 7], b: [3, 7], tB: true, note: '2-D, transposeB' },
  { a: [7, 5], b: [3, 7], tA: true, tB: true, note: '2-D, both flags' },
  { a: [4, 6, 8], b: [4, 8, 5], note: 'batched 3-D' },
  { a: [2, 3, 6, 8], b: [2, 3, 5, 8], tB: true, note: 'batched 4-D, transposeB (attention scores)' },
  { a: [2, 3, 8, 6], b: [2, 3, 8, 5], tA: true, note: 'batched 4-D, transposeA (attention gradient)' },
  { a: [3, 6, 8], b: [8, 5], note: 'batch on the left only: one product over all rows' },
  { a: [6, 8], b: [3, 8, 5], note: 'batch on the right only' },
  { a: [3, 1, 8], b: [3, 8, 1], note: 'one row, one column' },
  { a: [2, 4, 1], b: [2, 1, 3], note: 'inner size 1' },
];

describe('wasm BatchMatMul on XNNPACK for every case', () => {
  it.each(cases)('$note: $a · $b', ({ a, b, tA = false, tB = false }) => {
    const av = values(
        a.reduce((p, d) => p * d, 1),
        1,
      ),
      bv = values(
        b.reduce((p, d) => p * d, 1),
        2,
      );
    const want = referenceMatMul(Array.from(av), a, Array.from(bv), b, tA, tB);
    const got = tf.tidy(() => tf.matMul(tf.tensor(av, a), tf.tensor(bv, b), tA, tB));
    expect(got.shape).toEqual(want.shape);
    const g = got.dataSync();
    got.dispose();
    let worst = 0;
    want.data.forEach((w, i) => (worst = Math.max(worst, Math.abs(g[i] - w))));
    expect(worst).toBeLessThan(1e-5);
  });

  it('reports mismatched inner sizes with both shapes, as tfjs does', () => {
    expect(() => tf.tidy(() => tf.matMul(tf.zeros([2, 3, 4]), tf.zeros([2, 5, 6])))).toThrow(/inner shapes \(4\) and \(5\)/);
  });

  it('gives matMul the right gradients through the flagged products autodiff creates', () => {
    const av = values(2 * 5 * 6, 3),
      bv = values(2 * 4 * 6, 4),
      rv = values(2 * 5 * 4, 5);
    const [da, db] = tf.tidy(() => {
      const r = tf.tensor(rv, [2, 5, 4]);
      return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, true).mul(r).sum())([
        tf.tensor(av, [2, 5, 6]),
        tf.tensor(bv, [2, 4, 6]),
      ]);
    });
    // d/da = r·b, d/db = rᵀ·a per batch
    const wantA = referenceMatMul(Array.from(rv), [2, 5, 4], Array.from(bv), [2, 4, 6], false, false).data;
    const wantB = referenceMatMul(Array.from(rv), [2, 5, 4], Array.from(av), [2, 5, 6], true, false).data;
    const ga = da.dataSync(),
      gb = db.dataSync();
    wantA.forEach((w, i) => expect(Math.abs(ga[i] - w)).toBeLessThan(1e-5));
    wantB.forEach((w, i) => expect(Math.abs(gb[i] - w)).toBeLessThan(1e-5));
    tf.dispose([da, db]);
  });

  it('sees in-place changes to a weight: no stale packed copy is reused', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const w = tf.tidy(() => tf.variable(tf.tensor2d([1, 0, 0, 1], [2, 2])));
    const before = tf.matMul(x, w);
    expect(Array.from(before.dataSync())).toEqual([1, 2, 3, 4]);
    const view = heapView(w, { owned: true });
    expect(view).not.toBeNull();
    view!.set([2, 0, 0, 2]); // what the fused optimizer step does
    const after = tf.matMul(x, w);
    expect(Array.from(after.dataSync())).toEqual([2, 4, 6, 8]);
    tf.dispose([x, w, before, after]);
  });

  it('leaves no tensors or memory behind', () => {
    const a = tf.tensor(values(2 * 3 * 8 * 6, 6), [2, 3, 8, 6]);
    const b = tf.tensor(values(2 * 3 * 5 * 6, 7), [2, 3, 5, 6]);
    tf.matMul(a, b, false, true).dispose();
    const before = tf.memory();
    for (let i = 0; i < 50; i++) tf.matMul(a, b, false, true).dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([a, b]);
  });
});

describe('wasm GatherV2 row copies', () => {
  it('gathers rows of float32 and int32 tables (embedding lookups), any index shape', () => {
    const table = values(6 * 4, 8);
    const ids = [
      [5, 0],
      [2, 2],
      [0, 5],
    ];
    const got = tf.tidy(() => tf.gather(tf.tensor2d(table, [6, 4]), tf.tensor2d(ids, [3, 2], 'int32')));
    expect(got.shape).toEqual([3, 2, 4]);
    const want = ids.flat().flatMap((r) => Array.from(table.slice(r * 4, r * 4 + 4)));
    expect(Array.from(got.dataSync())).toEqual(want);
    const ints = tf.tidy(() => tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 0], 'int32')));
    expect(ints.dtype).toBe('int32');
    expect(Array.from(ints.dataSync())).toEqual([5, 6, 1, 2]);
    tf.dispose([got, ints]);
  });

  it('gathers from a 3-D table and along another axis (the stock kernel) alike', () => {
    const t = tf.tensor3d(values(3 * 2 * 2, 9), [3, 2, 2]);
    const rows = tf.gather(t, tf.tensor1d([2, 1], 'int32'));
    expect(Array.from(rows.dataSync())).toEqual(Array.from(t.dataSync().slice(8, 12)).concat(Array.from(t.dataSync().slice(4, 8))));
    const cols = tf.gather(t, tf.tensor1d([1], 'int32'), 1);
    const td = t.dataSync();
    expect(Array.from(cols.dataSync())).toEqual([td[2], td[3], td[6], td[7], td[10], td[11]]);
    tf.dispose([t, rows, cols]);
  });

  it('rejects an index outside the table with the index and the valid range', () => {
    const t = tf.zeros([4, 3]);
    expect(() => tf.gather(t, tf.tensor1d([1, 4], 'int32'))).toThrow('GatherV2: the index value 4 is not in [0, 3]');
    expect(() => tf.gather(t, tf.tensor1d([-1], 'int32'))).toThrow('GatherV2: the index value -1 is not in [0, 3]');
    t.dispose();
  });
});

describe('wasm ScatterNd row scatter-add (embedding gradients)', () => {
  it('adds each update row into its table row, duplicates summed, every other row zero', () => {
    const upd = values(5 * 3, 10);
    const ids = [4, 1, 4, 0, 4];
    const got = tf.tidy(() => tf.scatterND(tf.tensor2d(ids, [5, 1], 'int32'), tf.tensor2d(upd, [5, 3]), [6, 3]));
    const want = new Array(6 * 3).fill(0);
    ids.forEach((r, i) => {
      for (let j = 0; j < 3; j++) want[r * 3 + j] += upd[i * 3 + j];
    });
    Array.from(got.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
    expect(Array.from(got.dataSync().slice(2 * 3, 4 * 3))).toEqual(new Array(6).fill(0));
    got.dispose();
  });

  it('leaves a deeper index (the stock kernel) working, and rejects a row outside the table', () => {
    const deep = tf.tidy(() =>
      tf.scatterND(
        tf.tensor2d(
          [
            [1, 0],
            [0, 1],
          ],
          [2, 2],
          'int32',
        ),
        tf.tensor1d([3, 5]),
        [2, 2],
      ),
    );
    expect(Array.from(deep.dataSync())).toEqual([0, 5, 3, 0]);
    deep.dispose();
    expect(() => tf.tidy(() => tf.scatterND(tf.tensor2d([0, 6], [2, 1], 'int32'), tf.ones([2, 3]), [6, 3]))).toThrow(
      'ScatterNd: the index value 6 is not in [0, 5]',
    );
  });

  it('gives an embedding lookup the same gradient as a one-hot matmul', async () => {
    const { embeddingLookup } = await import('@/lib/models/bert');
    const table = tf.variable(tf.tensor2d(values(7 * 4, 11), [7, 4]));
    const ids = tf.tensor2d(
      [
        [3, 3],
        [6, 0],
      ],
      [2, 2],
      'int32',
    );
    const dy = tf.tensor3d(values(2 * 2 * 4, 12), [2, 2, 4]);
    const g = tf.tidy(() => tf.variableGrads(() => embeddingLookup(table, ids).mul(dy).sum(), [table]).grads[table.name]);
    const want = tf.tidy(() => tf.matMul(tf.oneHot(ids.flatten(), 7).toFloat(), dy.reshape([4, 4]), true, false));
    Array.from(g.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want.dataSync()[i], 6));
    tf.dispose([table, ids, dy, g, want]);
  });
});

describe('wasm Transpose in tiles (2-D float32)', () => {
  it('transposes matrices of any size (tile edges included) exactly; other ranks and dtypes still work', () => {
    for (const [r, c] of [
      [1, 1],
      [3, 70],
      [33, 31],
      [65, 129],
    ]) {
      const v = values(r * c, r + c);
      const t = tf.tidy(() => tf.transpose(tf.tensor2d(v, [r, c])));
      expect(t.shape).toEqual([c, r]);
      const d = t.dataSync();
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) expect(d[j * r + i]).toBe(v[i * c + j]);
      t.dispose();
    }
    const ints = tf.tidy(() => tf.transpose(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32')));
    expect(Array.from(ints.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    const cube = tf.tidy(() => tf.transpose(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), [0, 2, 1]));
    expect(Array.from(cube.dataSync())).toEqual([1, 3, 2, 4, 5, 7, 6, 8]);
    tf.dispose([ints, cube]);
  });
});

describe('wasm Sum over the first axis of a matrix', () => {
  it('sums columns (keepDims or not, axis 0 or -2); other reductions still work', () => {
    const [r, c] = [37, 5];
    const v = values(r * c, 21);
    const want = Array.from({ length: c }, (_, j) => Array.from({ length: r }, (_, i) => v[i * c + j]).reduce((a, b) => a + b, 0));
    const x = tf.tensor2d(v, [r, c]);
    for (const [axis, keep] of [
      [0, false],
      [-2, true],
    ] as const) {
      const s = tf.sum(x, axis, keep);
      expect(s.shape).toEqual(keep ? [1, c] : [c]);
      s.dataSync().forEach((y, j) => expect(y).toBeCloseTo(want[j], 5));
      s.dispose();
    }
    const rows = tf.sum(x, 1);
    rows.dataSync().forEach((y, i) =>
      expect(y).toBeCloseTo(
        Array.from(v.slice(i * c, (i + 1) * c)).reduce((a, b) => a + b, 0),
        5,
      ),
    );
    const all = tf.sum(x);
    expect(all.dataSync()[0]).toBeCloseTo(
      want.reduce((a, b) => a + b, 0),
      4,
    );
    const ints = tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0);
    expect(Array.from(ints.dataSync())).toEqual([4, 6]);
    tf.dispose([x, rows, all, ints]);
  });
});

/** The block at `begin` of size `sz` of a row-major array of `shape`, in plain JS. */
function referenceSlice(v: ArrayLike<number>, shape: number[], begin: number[], sz: number[]): number[] {
  const out: number[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, x) => p * x, 1));
  const walk = (d: number, off: number) => {
    if (d === shape.length) return void out.push(v[off]);
    for (let i = 0; i < sz[d]; i++) walk(d + 1, off + (begin[d] + i) * strides[d]);
  };
  walk(0, 0);
  return out;
}

describe('wasm Slice and SplitV inside wasm memory', () => {
  it('slices float32 and int32 tensors of rank 1–5 at any offset exactly, size -1 included', () => {
    const cases: { shape: number[]; begin: number[]; size: number[] }[] = [
      { shape: [10], begin: [3], size: [4] },
      { shape: [6, 9], begin: [1, 3], size: [4, 3] },
      { shape: [6, 9], begin: [2, 0], size: [3, 9] }, // contiguous rows
      { shape: [3, 4, 5], begin: [1, 1, 2], size: [2, 3, -1] },
      { shape: [2, 3, 4, 5], begin: [0, 1, 0, 1], size: [2, 2, 4, 3] },
      { shape: [2, 2, 3, 2, 3], begin: [1, 0, 1, 1, 0], size: [1, 2, 2, 1, 2] },
      { shape: [4, 4], begin: [1, 1], size: [0, 2] }, // empty
    ];
    for (const c of cases) {
      const n = c.shape.reduce((p, d) => p * d, 1);
      const sz = c.size.map((s, d) => (s === -1 ? c.shape[d] - c.begin[d] : s));
      const f = values(n, n + 7);
      const got = tf.tidy(() => tf.slice(tf.tensor(f, c.shape), c.begin, c.size));
      expect(got.shape).toEqual(sz);
      expect(Array.from(got.dataSync())).toEqual(referenceSlice(f, c.shape, c.begin, sz).map(Math.fround));
      const ints = Int32Array.from({ length: n }, (_, i) => i * 7 - 50);
      const gotInt = tf.tidy(() => tf.slice(tf.tensor(ints, c.shape, 'int32'), c.begin, c.size));
      expect(gotInt.dtype).toBe('int32');
      expect(Array.from(gotInt.dataSync())).toEqual(referenceSlice(ints, c.shape, c.begin, sz));
      tf.dispose([got, gotInt]);
    }
    const bools = tf.tidy(() => tf.slice(tf.tensor1d([true, false, true, true], 'bool'), [1], [2])); // the stock kernel
    expect(Array.from(bools.dataSync())).toEqual([0, 1]);
    bools.dispose();
  });

  it('splits a fused query/key/value product into equal or given sizes on any axis, with the gradient of a split', () => {
    const v = values(6 * 12, 5);
    const x = tf.tensor2d(v, [6, 12]);
    const parts = tf.split(x, 3, 1);
    parts.forEach((p, k) => expect(Array.from(p.dataSync())).toEqual(referenceSlice(v, [6, 12], [0, 4 * k], [6, 4])));
    const uneven = tf.split(x, [1, 2, 3], 0);
    expect(uneven.map((p) => p.shape)).toEqual([
      [1, 12],
      [2, 12],
      [3, 12],
    ]);
    expect(Array.from(uneven[2].dataSync())).toEqual(referenceSlice(v, [6, 12], [3, 0], [3, 12]));
    // d/dx of sum(split(x)[1] · w) is w in the middle block and zero elsewhere
    const w = tf.tensor2d(values(24, 9), [6, 4]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.split(t, 3, 1)[1], w)))(x);
    const gd = g.dataSync();
    const wd = w.dataSync();
    for (let i = 0; i < 6; i++) for (let j = 0; j < 12; j++) expect(gd[i * 12 + j]).toBe(j >= 4 && j < 8 ? wd[i * 4 + j - 4] : 0);
    tf.dispose([x, ...parts, ...uneven, w, g]);
  });
});
