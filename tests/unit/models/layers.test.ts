// The shared building blocks in lib/models/layers.ts that are not covered through a whole architecture: the dropout
// mask and the affine layer's hand-written backward.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { affine, dropout, dropoutMask, layerNormOp, linear, linears, type LayerContext } from '@/lib/models/layers';
import { fusedLayerNorm } from '@/lib/backend/fast-paths';

beforeAll(useWasm);

describe('dropout', () => {
  it('drops a `rate` share of elements and scales the rest by 1/(1-rate)', () => {
    for (const rate of [0.1, 0.5]) {
      const m = dropoutMask(200_000, rate, 7);
      const zeros = m.filter((x) => x === 0).length;
      expect(Math.abs(zeros / m.length - rate)).toBeLessThan(0.005);
      expect(new Set(m)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
      const mean = m.reduce((s, x) => s + x, 0) / m.length;
      expect(Math.abs(mean - 1)).toBeLessThan(0.01);
    }
  });

  it('repeats a seeded mask exactly and differs across seeds; identity when not training', () => {
    expect(Array.from(dropoutMask(1000, 0.1, 3))).toEqual(Array.from(dropoutMask(1000, 0.1, 3)));
    expect(Array.from(dropoutMask(1000, 0.1, 3))).not.toEqual(Array.from(dropoutMask(1000, 0.1, 4)));
    const x = tf.ones([4, 8]);
    expect(dropout(x, 0.5, { params: new Map(), training: false })).toBe(x);
    const y = dropout(x, 0.5, { params: new Map(), training: true, seed: 1 });
    expect(new Set(y.dataSync())).toEqual(new Set([0, 2]));
    tf.dispose([x, y]);
  });
});

describe('affine', () => {
  // out < in transposes dy for the weight gradient, out > in transposes x: both backward forms
  it.each([
    { layout: 'out-in' as const, nIn: 4, nOut: 3 },
    { layout: 'in-out' as const, nIn: 4, nOut: 3 },
    { layout: 'out-in' as const, nIn: 3, nOut: 5 },
    { layout: 'in-out' as const, nIn: 3, nOut: 5 },
  ])('x·W + b ($layout layout, in $nIn, out $nOut) and its gradients match autodiff of the plain ops', ({ layout, nIn, nOut }) => {
    const x = tf.randomNormal([6, nIn], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal(layout === 'out-in' ? [nOut, nIn] : [nIn, nOut], 0, 1, 'float32', 2);
    const b = tf.randomNormal([nOut], 0, 1, 'float32', 3);
    const r = tf.randomNormal([6, nOut], 0, 1, 'float32', 4);
    const plain = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      tf.matMul(xi as tf.Tensor2D, (layout === 'out-in' ? wi.transpose() : wi) as tf.Tensor2D).add(bi);
    const loss = (f: (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      f(a, c, d).mul(r).sum();
    const want = tf.grads(loss(plain))([x, w, b]);
    const got = tf.grads(loss((a, c, d) => affine(a as tf.Tensor2D, c, d, layout)))([x, w, b]);
    const diff = (p: tf.Tensor, q: tf.Tensor) => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0];
    expect(diff(affine(x, w, b, layout), plain(x, w, b))).toBeLessThan(1e-5);
    got.forEach((g, i) => expect(diff(g, want[i]), `gradient ${i}`).toBeLessThan(1e-5));
    const noBias = tf.grads((a: tf.Tensor, c: tf.Tensor) =>
      affine(a as tf.Tensor2D, c, undefined, layout)
        .mul(r)
        .sum(),
    )([x, w]);
    noBias.forEach((g, i) => expect(diff(g, want[i])).toBeLessThan(1e-5));
  });
});

describe('layerNormOp (fused wasm kernels)', () => {
  /** LayerNorm over the last axis in double precision, and its gradients for loss = Σ y·r. */
  function reference(x: number[][], g: number[], b: number[], r: number[][], eps: number) {
    const h = g.length;
    const dg = new Array(h).fill(0),
      db = new Array(h).fill(0);
    const y: number[][] = [],
      dx: number[][] = [];
    for (let i = 0; i < x.length; i++) {
      const mu = x[i].reduce((a, v) => a + v, 0) / h;
      const rs = 1 / Math.sqrt(x[i].reduce((a, v) => a + (v - mu) ** 2, 0) / h + eps);
      const xh = x[i].map((v) => (v - mu) * rs);
      y.push(xh.map((v, j) => v * g[j] + b[j]));
      const gg = r[i].map((v, j) => v * g[j]);
      const mG = gg.reduce((a, v) => a + v, 0) / h;
      const mGX = gg.reduce((a, v, j) => a + v * xh[j], 0) / h;
      dx.push(gg.map((v, j) => rs * (v - mG - xh[j] * mGX)));
      for (let j = 0; j < h; j++) {
        dg[j] += r[i][j] * xh[j];
        db[j] += r[i][j];
      }
    }
    return { y, dx, dg, db };
  }

  it('runs as one kernel each way on wasm and matches LayerNorm and its three gradients in double precision', () => {
    expect(fusedLayerNorm()).not.toBeNull();
    const rows = 2 * 5,
      h = 7,
      eps = 1e-5;
    const xs = Array.from({ length: rows }, (_, i) => Array.from({ length: h }, (_, j) => Math.sin(i * 3.1 + j * 1.3) * (1 + i) + i * 0.5));
    const g = Array.from({ length: h }, (_, j) => 0.5 + j * 0.2),
      b = Array.from({ length: h }, (_, j) => j * 0.1 - 0.3);
    const r = Array.from({ length: rows }, (_, i) => Array.from({ length: h }, (_, j) => Math.cos(i + j * 0.7)));
    const want = reference(xs, g, b, r, eps);
    const x = tf.tensor3d(xs.flat(), [2, 5, h]);
    const [gt, bt, rt] = [tf.tensor1d(g), tf.tensor1d(b), tf.tensor3d(r.flat(), [2, 5, h])];
    const y = tf.tidy(() => layerNormOp(x, gt, bt, eps));
    expect(y.shape).toEqual([2, 5, h]);
    y.dataSync().forEach((v, i) => expect(v).toBeCloseTo(want.y.flat()[i], 5));
    const [dx, dg, db] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNormOp(a, c, d, eps).mul(rt).sum())([x, gt, bt]);
    dx.dataSync().forEach((v, i) => expect(v, `dx[${i}]`).toBeCloseTo(want.dx.flat()[i], 5));
    dg.dataSync().forEach((v, i) => expect(v, `dgamma[${i}]`).toBeCloseTo(want.dg[i], 5));
    db.dataSync().forEach((v, i) => expect(v, `dbeta[${i}]`).toBeCloseTo(want.db[i], 5));
    tf.dispose([x, gt, bt, rt, y, dx, dg, db]);
  });

  it('keeps the tensor count flat over forward + backward', () => {
    const x = tf.randomNormal([4, 6, 8]);
    const [g, b] = [tf.variable(tf.ones([8])), tf.variable(tf.zeros([8]))];
    const step = () =>
      tf.tidy(() => {
        tf.variableGrads(() => layerNormOp(x, g, b, 1e-12).square().sum(), [g, b]);
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b]);
  });
});

describe('linears (query, key and value as one product)', () => {
  it("gives each Linear's output and every gradient, with a LoRA adapter on one of them, as separate Linears do", () => {
    const names = ['q', 'k', 'v'];
    const params = new Map<string, tf.Variable>();
    names.forEach((n, i) => {
      params.set(`${n}.weight`, tf.variable(tf.randomNormal([5, 4], 0, 1, 'float32', 10 + i)));
      params.set(`${n}.bias`, tf.variable(tf.randomNormal([5], 0, 1, 'float32', 20 + i)));
    });
    const lora = new Map([
      [
        'k',
        {
          A: tf.variable(tf.randomNormal([2, 4], 0, 1, 'float32', 30)),
          B: tf.variable(tf.randomNormal([5, 2], 0, 1, 'float32', 31)),
          scale: 0.5,
          dropout: 0,
        },
      ],
    ]);
    const ctx: LayerContext = { params, training: true, lora };
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 40);
    const r = names.map((_, i) => tf.randomNormal([2, 3, 5], 0, 1, 'float32', 50 + i));
    const vars = [...params.values(), lora.get('k')!.A, lora.get('k')!.B];
    const run = (f: () => tf.Tensor[]) =>
      tf.variableGrads(
        () =>
          f()
            .map((y, i) => y.mul(r[i]).sum())
            .reduce((a, b) => a.add(b)) as tf.Scalar,
        vars,
      );
    const fused = run(() => linears(ctx, names, x));
    const separate = run(() => names.map((n) => linear(ctx, n, x)));
    expect(fused.value.dataSync()[0]).toBeCloseTo(separate.value.dataSync()[0], 4);
    for (const v of vars) {
      const [a, b] = [fused.grads[v.name].dataSync(), separate.grads[v.name].dataSync()];
      a.forEach((g, i) => expect(g).toBeCloseTo(b[i], 4));
    }
    const outs = tf.tidy(() => linears(ctx, names, x).map((y) => y.shape));
    expect(outs).toEqual([
      [2, 3, 5],
      [2, 3, 5],
      [2, 3, 5],
    ]);
  });
});
