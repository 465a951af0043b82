// Training losses on tensors: cross-entropy with label smoothing and class weights (single-label and per token),
// sigmoid binary cross-entropy (multi-label), mean squared error (regression). Each returns a scalar.
import * as tf from '@tensorflow/tfjs';
import type { Task } from '@/lib/models/types';

export interface LossOptions {
  labelSmoothing: number;
  /** one weight per class; the loss is the weighted mean (Σ wᵢ·ℓᵢ / Σ wᵢ), as PyTorch's CrossEntropyLoss */
  classWeights?: number[];
}

/** logits [N, C], labels int32 [N] with ignored rows marked by `valid` (0/1 float [N]) */
function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, opts: LossOptions, valid?: tf.Tensor1D): tf.Scalar {
  const c = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  let target: tf.Tensor = tf.oneHot(labels, c).toFloat();
  if (opts.labelSmoothing > 0) target = target.mul(1 - opts.labelSmoothing).add(opts.labelSmoothing / c);
  const per = tf.neg(tf.sum(target.mul(logp), -1));
  let w: tf.Tensor = opts.classWeights ? tf.gather(tf.tensor1d(opts.classWeights), labels) : tf.onesLike(per);
  if (valid) w = w.mul(valid);
  return tf.div(tf.sum(per.mul(w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
}

export function taskLoss(task: Task, logits: tf.Tensor, targets: tf.Tensor, opts: LossOptions): tf.Scalar {
  return tf.tidy(() => {
    if (task === 'classification') return crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor1D, opts);
    if (task === 'regression') return tf.mean(tf.square(logits.reshape([-1]).sub(targets))) as tf.Scalar;
    if (task === 'multilabel') {
      // log(1 + e^{-|x|}) + max(x, 0) − x·z: stable for large |x|
      const x = logits, z = targets;
      let per = tf.relu(x).sub(x.mul(z)).add(tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
      if (opts.classWeights) per = per.mul(tf.tensor1d(opts.classWeights));
      return tf.mean(per) as tf.Scalar;
    }
    // token classification: logits [B, T, C], tags [B, T] with IGNORE_INDEX (< 0) where no loss
    const c = logits.shape[logits.shape.length - 1] as number;
    const flatTags = targets.reshape([-1]) as tf.Tensor1D;
    const valid = flatTags.greaterEqual(0).toFloat() as tf.Tensor1D;
    const safe = tf.maximum(flatTags, 0).toInt() as tf.Tensor1D;
    return crossEntropy(logits.reshape([-1, c]) as tf.Tensor2D, safe, opts, valid);
  });
}

/** Class weights "balanced" as scikit-learn: n / (classes · count(c)); a class with no examples gets weight 0. */
export function balancedClassWeights(counts: number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((k) => (k === 0 ? 0 : n / (counts.length * k)));
}
