// Contrastive tuning of the encoder on pairs of labeled rows, before a head trains on its features (SetFit: Tunstall
// et al. 2022, "Efficient Few-Shot Learning Without Prompts"). Each round pairs every training row with one row of its
// label (target similarity 1) and one of another label (target 0); the loss is the squared difference between the two
// sentence embeddings' cosine similarity and that target, so same-label texts move together before the head is fit.
// On a few dozen rows this gives the head better features than the pre-trained ones (bench:small, README).
import * as tf from '@tensorflow/tfjs';
import { resetDropoutCounter } from '../models/layers';
import type { TaskModel } from '../models/types';
import { batchLength, makeTensorBatch, padOptionsFor, type PadOptions } from './batching';
import type { EncodedExample } from './encode';
import { EtaTracker } from './eta';
import type { RunControls } from './controls';
import { AdamOptimizer } from './optimizer';
import { PAIR_BATCH, PAIR_LEARNING_RATE, pairSteps, type Pair } from './pair-plan';
import { splitShards, type Shard, type ShardContext } from './shards';
import type { TrainPool } from './train-pool';

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

export type PairProgress =
  | {
      step: number;
      steps: number;
      /** this step's loss */
      loss: number;
      /** seconds left at the pace so far (a pause not counted) */
      etaSec: number;
    }
  /** paused before step `step` + 1 (`controls.pause()`), or going on again */
  | { state: 'paused' | 'running'; step: number };

export interface PairTuneOptions {
  pairs: Pair[];
  seed: number;
  learningRate?: number;
  signal?: AbortSignal;
  /** at most this many steps (the time estimate's probe) */
  maxSteps?: number;
  /** data-parallel threads (lib/train/train-pool.ts, replicas of the model): each step's pairs are split over them.
   *  The caller closes it. */
  pool?: TrainPool;
  /** the run's live controls: a pause holds the phase between steps */
  controls?: RunControls;
}

/** The parameters the phase trains: the encoder's own (not LoRA adapters), set trainable when `train`. */
export function pairParams(model: TaskModel, train = false): Map<string, tf.Variable> {
  const params = new Map([...model.encoder.params].filter(([n]) => !n.includes('lora_')));
  if (train) for (const v of params.values()) v.trainable = true;
  return params;
}

/** Pairs `part` (positions in `batch`) as a shard of the whole 2B-row batch: the pairs' first rows at their positions,
 *  their second rows B further, so each row draws the dropout mask it would draw in the whole batch. */
export function pairShard(batch: Pair[], part: number[]): Shard {
  const b = batch.length;
  return {
    idx: [...part.map((k) => batch[k][0]), ...part.map((k) => batch[k][1])],
    rows: [...part, ...part.map((k) => b + k)],
    targets: part.map((k) => batch[k][2]),
  };
}

/** A batch of pairs as `n` shards of near-equal size (contiguous, in order), and what they share. */
export function pairShards(
  batch: Pair[],
  n: number,
  examples: EncodedExample[],
  pad: PadOptions,
  seed: number,
): { shards: Shard[]; ctx: ShardContext } {
  const positions = batch.map((_, k) => k);
  const shards = splitShards(positions, n).map((s) => pairShard(batch, s.idx));
  const all = [...batch.map((q) => q[0]), ...batch.map((q) => q[1])];
  return { shards, ctx: { seed, length: batchLength(examples, all, pad), denominator: batch.length } };
}

/** The shard's share of the batch's loss — Σ (cos(a, b) − target)² over its pairs ÷ the batch's pairs — and its
 *  gradients for `vars`. The same function computes a shard in a worker and in the calling thread. */
export function pairShardGradients(
  model: TaskModel,
  examples: EncodedExample[],
  shard: Shard,
  ctx: ShardContext,
  vars: tf.Variable[],
  pad: PadOptions,
): { value: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const target = tf.tensor1d(shard.targets ?? []);
    const { value, grads } = tf.variableGrads(() => {
      const batch = makeTensorBatch(examples, shard.idx, pad, ctx.length);
      resetDropoutCounter(); // the masks depend on the seed and the rows only
      const pooled = model.encoder.forward(batch, { training: true, seed: ctx.seed, rows: shard.rows }).pooled;
      const [a, b] = tf.split(pooled, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
      return rowCosine(a, b).sub(target).square().sum().div(ctx.denominator) as tf.Scalar;
    }, vars);
    return { value, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
  });
}

/**
 * Tunes `model`'s encoder on `opts.pairs` of `examples` (AdamW, constant rate, dropout on, seeded), one step per
 * PAIR_BATCH pairs — on the pool's threads when one is given, the same run to float rounding — yielding progress
 * after each step. The encoder's parameters train for the phase whatever the model's mode, and keep their mode's
 * trainable flags after it; the head is not touched. Returns the steps taken.
 */
export async function* pairTune(model: TaskModel, examples: EncodedExample[], opts: PairTuneOptions): AsyncGenerator<PairProgress, number> {
  const params = pairParams(model);
  const flags = new Map([...params].map(([n, v]) => [n, v.trainable]));
  const pad = padOptionsFor(model);
  const steps = Math.min(pairSteps(opts.pairs.length), opts.maxSteps ?? Infinity);
  const eta = new EtaTracker(20);
  const lr = opts.learningRate ?? PAIR_LEARNING_RATE;
  const pool = opts.pool;
  const names = [...params.keys()];
  let optimizer: AdamOptimizer | null = null;
  let step = 0;
  try {
    pairParams(model, true);
    optimizer = new AdamOptimizer(params, { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const vars = [...params.values()];
    await pool?.begin(examples, params, {
      numLabels: 0,
      lossOpts: { labelSmoothing: 0 },
      pad,
      optimizer,
      vocabSize: Number(model.encoder.config.vocab_size ?? 0),
      validation: [],
      ema: null,
      pairs: true,
    });
    eta.start();
    for (; step < steps; step++) {
      if (opts.controls?.paused && !opts.signal?.aborted) {
        eta.pause();
        yield { state: 'paused', step };
        await opts.controls.waitUntilResumed(opts.signal);
        eta.resume();
        if (!opts.signal?.aborted) yield { state: 'running', step };
      }
      if (opts.signal?.aborted) break;
      const batch = opts.pairs.slice(step * PAIR_BATCH, (step + 1) * PAIR_BATCH);
      const { shards, ctx } = pairShards(batch, pool?.threads ?? 1, examples, pad, (opts.seed % 100_000) * 1_000_003 + step);
      const local = (s: Shard) => pairShardGradients(model, examples, s, ctx, vars, pad);
      const { value, grads } = pool ? await pool.gradients(shards, ctx, local) : local(shards[0]);
      try {
        // the replicas get the step first and take it while this thread takes its own (as in fineTune)
        await pool?.applied(grads, lr, 1, [...batch.map((q) => q[0]), ...batch.map((q) => q[1])]);
        optimizer.apply(Object.fromEntries(names.map((n, j) => [n, grads[j]])), lr);
        const [loss] = (await value.data()) as Float32Array;
        eta.step();
        yield { step: step + 1, steps, loss, etaSec: eta.etaSec(steps - step - 1) };
      } finally {
        tf.dispose([value, ...grads]);
      }
    }
    return step;
  } finally {
    optimizer?.dispose();
    for (const [n, v] of params) v.trainable = flags.get(n)!;
  }
}
