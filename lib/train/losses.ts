// Training losses on tensors: cross-entropy with label smoothing and class weights (single-label and per token),
// sigmoid binary cross-entropy (multi-label), mean squared error (regression). Each returns a scalar.
import * as tf from '@tensorflow/tfjs';
import type { Task } from '@/lib/models/types';

export interface LossOptions {
  labelSmoothing: number;
  /** one weight per class; the loss is the weighted mean (Σ wᵢ·ℓᵢ / Σ wᵢ), as PyTorch's CrossEntropyLoss */
  classWeights?: number[];
  /** what the summed loss is divided by, when the batch is one shard of a larger one (lib/train/data-parallel.ts):
   *  the whole batch's `lossDenominator`, so the shards' losses and gradients add up to the whole batch's */
  denominator?: number;
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
  const den = opts.denominator ?? tf.sum(w);
  return tf.div(tf.sum(per.mul(w)), tf.maximum(den, 1e-12)) as tf.Scalar;
}

export function taskLoss(task: Task, logits: tf.Tensor, targets: tf.Tensor, opts: LossOptions): tf.Scalar {
  return tf.tidy(() => {
    if (task === 'classification') return crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor1D, opts);
    const mean = (x: tf.Tensor) => (opts.denominator === undefined ? tf.mean(x) : tf.div(tf.sum(x), opts.denominator)) as tf.Scalar;
    if (task === 'regression') return mean(tf.square(logits.reshape([-1]).sub(targets)));
    if (task === 'multilabel') {
      // log(1 + e^{-|x|}) + max(x, 0) − x·z: stable for large |x|
      const x = logits,
        z = targets;
      let per = tf
        .relu(x)
        .sub(x.mul(z))
        .add(tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
      if (opts.classWeights) per = per.mul(tf.tensor1d(opts.classWeights));
      return mean(per);
    }
    // token classification: logits [B, T, C], tags [B, T] with IGNORE_INDEX (< 0) where no loss
    const c = logits.shape[logits.shape.length - 1] as number;
    const flatTags = targets.reshape([-1]) as tf.Tensor1D;
    const valid = flatTags.greaterEqual(0).toFloat() as tf.Tensor1D;
    const safe = tf.maximum(flatTags, 0).toInt() as tf.Tensor1D;
    return crossEntropy(logits.reshape([-1, c]) as tf.Tensor2D, safe, opts, valid);
  });
}

/** What a batch's loss is divided by (the mean's denominator): rows (regression), rows × labels (multi-label), the
 *  summed class weights of the rows (classification) or of the tagged tokens (token classification). `labels` holds one
 *  entry per row: a class id, a multi-hot list, a value, or the row's tags (ignored ones < 0). */
export function lossDenominator(task: Task, labels: (number | number[])[], numLabels: number, classWeights?: number[]): number {
  if (task === 'regression') return labels.length;
  if (task === 'multilabel') return labels.length * numLabels;
  const w = (c: number) => (classWeights ? classWeights[c] : 1);
  let sum = 0;
  for (const l of labels) {
    if (typeof l === 'number') sum += w(l);
    else for (const t of l) if (t >= 0) sum += w(t);
  }
  return sum;
}

/** Class weights "balanced" as scikit-learn: n / (classes · count(c)); a class with no examples gets weight 0. */
export function balancedClassWeights(counts: number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((k) => (k === 0 ? 0 : n / (counts.length * k)));
}
