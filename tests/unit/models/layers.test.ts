// The shared building blocks in lib/models/layers.ts that are not covered through a whole architecture: the dropout
// mask and the affine layer's hand-written backward.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { affine, dropout, dropoutMask } from '@/lib/models/layers';

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
    const plain = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.matMul(xi as tf.Tensor2D, (layout === 'out-in' ? wi.transpose() : wi) as tf.Tensor2D).add(bi);
    const loss = (f: (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => f(a, c, d).mul(r).sum();
    const want = tf.grads(loss(plain))([x, w, b]);
    const got = tf.grads(loss((a, c, d) => affine(a as tf.Tensor2D, c, d, layout)))([x, w, b]);
    const diff = (p: tf.Tensor, q: tf.Tensor) => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0];
    expect(diff(affine(x, w, b, layout), plain(x, w, b))).toBeLessThan(1e-5);
    got.forEach((g, i) => expect(diff(g, want[i]), `gradient ${i}`).toBeLessThan(1e-5));
    const noBias = tf.grads((a: tf.Tensor, c: tf.Tensor) => affine(a as tf.Tensor2D, c, undefined, layout).mul(r).sum())([x, w]);
    noBias.forEach((g, i) => expect(diff(g, want[i])).toBeLessThan(1e-5));
  });
});
