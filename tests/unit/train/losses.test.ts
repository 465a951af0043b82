import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { balancedClassWeights, taskLoss } from '@/lib/train/losses';

beforeAll(useWasm);
const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};
const none = { labelSmoothing: 0 };

describe('training losses (hand-computed)', () => {
  it('cross-entropy with label smoothing spreads ε/C over every class', () => {
    const lse = Math.log(Math.exp(2) + 2);
    // target [0.8, 0.1, 0.1] for ε = 0.3, C = 3: loss = lse − 0.8·2
    expect(value(taskLoss('classification', tf.tensor2d([[2, 0, 0]]), tf.tensor1d([0], 'int32'), { labelSmoothing: 0.3 }))).toBeCloseTo(
      lse - 1.6,
      5,
    );
    expect(value(taskLoss('classification', tf.tensor2d([[2, 0, 0]]), tf.tensor1d([0], 'int32'), none))).toBeCloseTo(lse - 2, 5);
  });
  it('class-weighted cross-entropy is the weighted mean Σwᵢℓᵢ/Σwᵢ', () => {
    const l0 = Math.log1p(Math.exp(-1)),
      l1 = Math.log1p(Math.exp(1));
    expect(
      value(
        taskLoss(
          'classification',
          tf.tensor2d([
            [1, 0],
            [1, 0],
          ]),
          tf.tensor1d([0, 1], 'int32'),
          { labelSmoothing: 0, classWeights: [1, 3] },
        ),
      ),
    ).toBeCloseTo((l0 + 3 * l1) / 4, 5);
  });
  it('multi-label uses sigmoid binary cross-entropy averaged over labels', () => {
    expect(value(taskLoss('multilabel', tf.tensor2d([[0, 2]]), tf.tensor2d([[1, 0]]), none))).toBeCloseTo(
      (Math.log(2) + Math.log1p(Math.exp(2))) / 2,
      5,
    );
    // stable for huge logits
    expect(value(taskLoss('multilabel', tf.tensor2d([[200, -200]]), tf.tensor2d([[1, 0]]), none))).toBeCloseTo(0, 5);
  });
  it('regression uses mean squared error', () => {
    expect(value(taskLoss('regression', tf.tensor2d([[1], [2]]), tf.tensor1d([0, 4]), none))).toBeCloseTo(2.5, 6);
  });
  it('token classification ignores tags of -100', () => {
    const logits = tf.tensor3d([
      [
        [1, 0],
        [0, 5],
      ],
    ]);
    expect(value(taskLoss('token-classification', logits, tf.tensor2d([[0, -100]], undefined, 'int32'), none))).toBeCloseTo(
      Math.log1p(Math.exp(-1)),
      5,
    );
  });
  it('the gradient of weighted, smoothed cross-entropy matches finite differences', () => {
    const x0 = [0.3, -1.2, 0.8, 1.5, 0.1, -0.4];
    const labels = tf.tensor1d([2, 0], 'int32');
    const opts = { labelSmoothing: 0.2, classWeights: [1, 0.5, 2] };
    const f = (x: tf.Tensor) => taskLoss('classification', x.reshape([2, 3]), labels, opts);
    const g = tf.grad(f)(tf.tensor1d(x0)).dataSync();
    const h = 1e-2;
    x0.forEach((_, i) => {
      const up = [...x0],
        dn = [...x0];
      up[i] += h;
      dn[i] -= h;
      const fd = (value(f(tf.tensor1d(up))) - value(f(tf.tensor1d(dn)))) / (2 * h);
      expect(g[i]).toBeCloseTo(fd, 3);
    });
  });

  it('balanced class weights follow scikit-learn: n / (classes · count)', () => {
    expect(balancedClassWeights([6, 2, 0])).toEqual([8 / 18, 8 / 6, 0]);
  });
});
