// Contrastive tuning of the encoder on pairs of labeled rows, before a head trains on its features (SetFit: Tunstall
// et al. 2022, "Efficient Few-Shot Learning Without Prompts"). Each round pairs every training row with one row of its
// label (target similarity 1) and one of another label (target 0); the loss is the squared difference between the two
// sentence embeddings' cosine similarity and that target, so same-label texts move together before the head is fit.
// On a few dozen rows this gives the head better features than the pre-trained ones (bench:small, README).
import * as tf from '@tensorflow/tfjs';
import { resetDropoutCounter } from '../models/layers';
import type { TaskModel } from '../models/types';
import { makeTensorBatch, padOptionsFor } from './batching';
import type { EncodedExample } from './encode';
import { EtaTracker } from './eta';
import { AdamOptimizer } from './optimizer';
import { PAIR_BATCH, PAIR_LEARNING_RATE, pairSteps, type Pair } from './pair-plan';

export { makePairs, PAIR_BATCH, PAIR_CAP, PAIR_LEARNING_RATE, pairSteps, type Pair } from './pair-plan';

/** Cosine similarity of each row of `a` with the same row of `b`. */
export function rowCosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() =>
    a
      .mul(b)
      .sum(1)
      .div(a.norm(2, 1).mul(b.norm(2, 1)).maximum(1e-12)),
  ) as tf.Tensor1D;
}

export interface PairProgress {
  step: number;
  steps: number;
  /** mean loss over the steps since the last report */
  loss: number;
  /** seconds left at the pace so far */
  etaSec: number;
}

export interface PairTuneOptions {
  pairs: Pair[];
  seed: number;
  learningRate?: number;
  signal?: AbortSignal;
  /** at most this many steps (the time estimate's probe) */
  maxSteps?: number;
}

/**
 * Tunes `model`'s encoder on `opts.pairs` of `examples` (AdamW, constant rate, dropout on, seeded), one step per
 * PAIR_BATCH pairs, yielding progress after each step. The encoder's parameters train for the phase whatever the
 * model's mode, and keep their mode's trainable flags after it; the head is not touched. Returns the steps taken.
 */
export async function* pairTune(model: TaskModel, examples: EncodedExample[], opts: PairTuneOptions): AsyncGenerator<PairProgress, number> {
  const params = new Map([...model.encoder.params].filter(([n]) => !n.includes('lora_')));
  const flags = new Map([...params].map(([n, v]) => [n, v.trainable]));
  const pad = padOptionsFor(model);
  const steps = Math.min(pairSteps(opts.pairs.length), opts.maxSteps ?? Infinity);
  const eta = new EtaTracker(20);
  const lr = opts.learningRate ?? PAIR_LEARNING_RATE;
  let optimizer: AdamOptimizer | null = null;
  let step = 0;
  try {
    for (const v of params.values()) v.trainable = true;
    optimizer = new AdamOptimizer(params, { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const vars = [...params.values()];
    eta.start();
    for (; step < steps; step++) {
      if (opts.signal?.aborted) break;
      const batch = opts.pairs.slice(step * PAIR_BATCH, (step + 1) * PAIR_BATCH);
      const idx = [...batch.map((p) => p[0]), ...batch.map((p) => p[1])];
      const tb = makeTensorBatch(examples, idx, pad);
      const target = tf.tensor1d(batch.map((p) => p[2]));
      let loss: number;
      try {
        const { value, grads } = tf.variableGrads(() => {
          resetDropoutCounter(); // the masks depend on the seed and step only
          const pooled = model.encoder.forward(tb, { training: true, seed: (opts.seed % 100_000) * 1_000_003 + step }).pooled;
          const [a, b] = tf.split(pooled, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return rowCosine(a, b).sub(target).square().mean() as tf.Scalar;
        }, vars);
        const named = Object.fromEntries([...params].filter(([, v]) => grads[v.name]).map(([n, v]) => [n, grads[v.name]]));
        optimizer.apply(named, lr);
        loss = (await value.data())[0];
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        tf.dispose([tb.inputIds, tb.attentionMask, target]);
        if (tb.tokenTypeIds) tb.tokenTypeIds.dispose();
      }
      eta.step();
      yield { step: step + 1, steps, loss, etaSec: eta.etaSec(steps - step - 1) };
    }
    return step;
  } finally {
    optimizer?.dispose();
    for (const [n, v] of params) v.trainable = flags.get(n)!;
  }
}
