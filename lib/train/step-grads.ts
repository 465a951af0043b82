// One optimizer step's gradients: each of its micro-batches (gradient accumulation) computed whole in this thread or
// split into shards over the pool's threads, summed; with the step's [mean loss, global norm of the mean gradient],
// which the step reports and clips by.
import * as tf from '@tensorflow/tfjs';
import { sumOfSquares } from '@/lib/backend/fast-paths';
import type { TaskModel } from '@/lib/models/types';
import type { PadOptions } from './batching';
import type { EncodedExample } from './encode';
import type { FeatureCache } from './features';
import { tokenRows } from './grad-wire';
import type { LossOptions } from './losses';
import { shardGradients, splitShards, type Shard, type ShardContext } from './shards';
import type { TrainPool } from './train-pool';

export interface StepInputs {
  model: TaskModel;
  train: EncodedExample[];
  vars: tf.Variable[];
  /** which of `vars` are token-embedding tables (lib/train/grad-wire.ts tokenTables) */
  tables: boolean[];
  o: { numLabels: number; lossOpts: LossOptions; pad: PadOptions; features: FeatureCache | null };
  pool?: TrainPool;
  /** what every shard of micro-batch `m` of step `atStep` (examples `idx`) shares */
  context: (idx: number[], atStep: number, m: number) => ShardContext;
}

/** The gradients of `vars` summed over the micro-batches `micro` of step `step` (the caller disposes them), and the
 *  step's stats = [loss, norm] averaged over the micro-batches. */
export async function stepGradients(s: StepInputs, micro: number[][], step: number): Promise<{ grads: tf.Tensor[]; stats: tf.Tensor }> {
  let acc: tf.Tensor[] | null = null;
  let lossSum: tf.Tensor = tf.scalar(0);
  for (let m = 0; m < micro.length; m++) {
    const idx = micro[m];
    // the micro-batch as shards (one per thread; one shard without a pool): every shard pads to the batch's length,
    // divides by the batch's loss denominator and draws dropout by row position, so the sum is the whole batch's
    const sctx = s.context(idx, step, m);
    const local = (sh: Shard) => shardGradients(s.model, s.train, sh, sctx, s.vars, s.o);
    const { value, grads: next } = s.pool
      ? await s.pool.gradients(splitShards(idx, s.pool.threads), sctx, local)
      : local(splitShards(idx, 1)[0]);
    const prevAcc = acc as tf.Tensor[] | null;
    acc = prevAcc ? tf.tidy(() => prevAcc.map((a, j) => a.add(next[j]))) : next;
    if (prevAcc) {
      prevAcc.forEach((t) => t.dispose());
      next.forEach((t) => t.dispose());
    }
    const prevLoss = lossSum;
    lossSum = tf.add(prevLoss, value);
    prevLoss.dispose();
    value.dispose();
  }
  const n = micro.length;
  const grads = acc!;
  // the global norm of the averaged gradient (sum over micro-batches ÷ n), and the loss averaged the same way
  // (a token-embedding table's gradient over the batch's token rows only: every other row is exactly zero)
  const stats = tf.tidy(() => {
    const rows = s.tables.some(Boolean) ? tf.tensor1d(tokenRows(s.train, micro.flat(), s.o.pad.padId), 'int32') : null;
    const norm = tf.sqrt(tf.addN(grads.map((t, j) => sumOfSquares(rows && s.tables[j] ? tf.gather(t, rows) : t)))).div(n);
    return tf.stack([lossSum.div(n), norm]);
  });
  lossSum.dispose();
  return { grads, stats };
}
