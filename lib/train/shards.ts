// One micro-batch's gradients, whole or as one shard of it. Data-parallel training (lib/train/train-pool.ts) splits a
// batch into shards, one per thread; each shard pads to the whole batch's length, divides its summed loss by the whole
// batch's denominator and draws its dropout masks by row position, so the shards' losses and gradients add up to the
// whole batch's (to float rounding). The same function computes a shard in a worker and in the calling thread.
import * as tf from '@tensorflow/tfjs';
import type { TaskModel } from '@/lib/models/types';
import { makeTargets, makeTensorBatch, type PadOptions } from './batching';
import type { EncodedExample } from './encode';
import type { FeatureCache } from './features';
import { lossDenominator, taskLoss, type LossOptions } from './losses';

/** Rows of a batch: example indices and their positions in the whole batch. */
export interface Shard {
  idx: number[];
  rows: number[];
  /** a contrastive pairs shard (lib/train/contrastive.ts): the first half of `idx` pairs with the second, and these
   *  are the pairs' target similarities */
  targets?: number[];
}

/** `n` contiguous shards of near-equal size (sizes differ by at most one; none empty when the batch has n rows). The
 *  batch's rows are length-sorted windows (lib/train/batching.ts) and every shard pads to the same length, so equal
 *  row counts cost the same. */
export function splitShards(idx: number[], n: number): Shard[] {
  const parts = Math.max(1, Math.min(n, idx.length));
  const out: Shard[] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(idx.length / parts) + (p < idx.length % parts ? 1 : 0);
    out.push({ idx: idx.slice(start, start + size), rows: Array.from({ length: size }, (_, r) => start + r) });
    start += size;
  }
  return out;
}

/** Dropout seed for one micro-batch: a function of the run seed and the position only, never of process history. */
export function dropoutSeed(seed: number, step: number, micro: number): number {
  return (seed % 100_000) * 1_000_003 + step * 64 + micro;
}

/** What every shard of one micro-batch shares. */
export interface ShardContext {
  /** the dropout seed of this micro-batch */
  seed: number;
  /** the whole batch's padded length */
  length: number;
  /** the whole batch's loss denominator (lossDenominator) */
  denominator: number;
}

/** The whole micro-batch's loss denominator. */
export function batchDenominator(
  model: TaskModel,
  examples: EncodedExample[],
  idx: number[],
  numLabels: number,
  lossOpts: LossOptions,
): number {
  const labels = idx.map((i) =>
    model.task === 'token-classification' ? (examples[i].tags ?? []) : (examples[i].label as number | number[]),
  );
  return lossDenominator(model.task, labels, numLabels, lossOpts.classWeights);
}

/**
 * The shard's share of the micro-batch loss and its gradients for `vars` (zeros for a variable the loss does not
 * reach, e.g. an unused pooler). Head-only runs pass the feature cache: the head trains on cached features.
 */
export function shardGradients(
  model: TaskModel,
  examples: EncodedExample[],
  shard: Shard,
  ctx: ShardContext,
  vars: tf.Variable[],
  o: { numLabels: number; lossOpts: LossOptions; pad: PadOptions; features?: FeatureCache | null },
): { value: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const fopts = { training: true, seed: ctx.seed, rows: shard.rows };
    const { value, grads } = tf.variableGrads(() => {
      let logits: tf.Tensor;
      let seqLen: number;
      if (o.features) {
        const f = o.features.batch(0, shard.idx, o.pad);
        logits = model.headForward(f.features, fopts);
        seqLen = f.seqLen;
      } else {
        const batch = makeTensorBatch(examples, shard.idx, o.pad, ctx.length);
        logits = model.forward(batch, fopts);
        seqLen = batch.inputIds.shape[1];
      }
      return taskLoss(model.task, logits, makeTargets(model.task, examples, shard.idx, o.numLabels, seqLen), {
        ...o.lossOpts,
        denominator: ctx.denominator,
      });
    }, vars);
    return { value, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
  });
}
