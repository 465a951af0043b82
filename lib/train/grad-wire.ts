// What travels between the calling thread and its training threads (lib/train/train-pool.ts, train-worker.ts): the
// messages, and gradients as plain arrays. A token-embedding gradient travels as the rows of the batch's tokens only
// (every other row is exactly zero); everything else dense.
import * as tf from '@tensorflow/tfjs';
import { heapView } from '@/lib/backend/fast-paths';
import type { OptimizerState, TensorData } from '@/lib/store/types';
import type { PadOptions } from './batching';
import type { EncodedExample } from './encode';
import type { BatchLogits } from './evaluate';
import type { LossOptions } from './losses';
import type { OptimizerOptions } from './optimizer';
import type { Shard, ShardContext } from './shards';

/** A gradient as it travels: dense, or the rows `rows` of a [vocab, width] embedding gradient (all others zero). */
export type WireGrad = Float32Array | { rows: Int32Array; values: Float32Array };

export type ToTrainWorker =
  | {
      type: 'begin';
      examples: EncodedExample[];
      names: string[];
      sparse: boolean[];
      numLabels: number;
      lossOpts: LossOptions;
      pad: PadOptions;
      weights: Float32Array[];
      optimizer: OptimizerOptions;
      optimizerState: OptimizerState;
      /** the validation examples, which the replicas help evaluate */
      validation: EncodedExample[];
      /** the weight average's decay (0: none) and state: the replicas keep the same average */
      emaDecay: number;
      emaState?: Record<string, TensorData>;
      /** the contrastive pairs phase: `names` are the encoder's parameters, which train for it */
      pairs?: boolean;
    }
  | { type: 'logits'; id: number; batches: number[][]; average: boolean }
  | { type: 'grads'; id: number; shard: Shard; ctx: ShardContext }
  | { type: 'apply'; grads: WireGrad[]; lr: number; scale: number };
export type FromTrainWorker =
  | { type: 'ready' }
  | { type: 'grads'; id: number; loss: number; grads: WireGrad[]; memoryBytes: number }
  | { type: 'logits'; id: number; results: BatchLogits[] }
  | { type: 'error'; message: string };

/** Which of `vars` are token-embedding tables ([vocab, width], a vocabulary of over 1,000): their gradient is zero but
 *  for the rows of the batch's tokens, so it travels, and its norm is taken, as those rows only. */
export function tokenTables(vars: readonly { rank: number; shape: number[] }[], vocabSize: number): boolean[] {
  return vars.map((v) => v.rank === 2 && v.shape[0] === vocabSize && vocabSize > 1000);
}

/** The token ids of some examples, and the pad id: the rows a token-embedding gradient can have non-zero. */
export function tokenRows(examples: EncodedExample[], idx: number[], padId: number): Int32Array {
  const seen = new Set<number>([padId]);
  for (const i of idx) for (const t of examples[i].ids) seen.add(t);
  return Int32Array.from([...seen].sort((a, b) => a - b));
}

/** Reads gradients for the wire: the sparse ones as the rows `rows`. `reuse`: arrays that travelled before (see
 *  `Spares`): a dense gradient whose array has its size is written into it where the backend's memory is readable in
 *  place (wasm), so a step allocates no new 20 MB of arrays for the garbage collector to reclaim; elsewhere, or
 *  without one, the backend reads it into a new array. */
export async function toWire(
  grads: tf.Tensor[],
  sparse: boolean[],
  rows: Int32Array | null,
  reuse?: (Float32Array | undefined)[],
): Promise<WireGrad[]> {
  const into = grads.map((g, j) => {
    const spare = sparse[j] && rows ? undefined : reuse?.[j];
    const view = spare?.length === g.size ? heapView(g, { owned: false }) : null;
    // no allocation on the backend's heap happens between taking a view and this copy
    return view ? (spare!.set(view), spare!) : null;
  });
  const read = grads.map((_, j) => j).filter((j) => !into[j]);
  const parts = tf.tidy(() => read.map((j) => (sparse[j] && rows ? tf.gather(grads[j], tf.tensor1d(rows, 'int32')) : grads[j].clone())));
  const values = (await Promise.all(parts.map((t) => t.data()))) as Float32Array[];
  tf.dispose(parts);
  const out: WireGrad[] = into.map((a) => a ?? new Float32Array(0));
  read.forEach((j, k) => (out[j] = sparse[j] && rows ? { rows: rows.slice(), values: values[k] } : values[k]));
  return out;
}

/** The dense arrays of gradients that arrived, kept for the next `toWire` in this thread (by gradient index): the
 *  calling thread and its workers hand the same arrays back and forth instead of allocating new ones every step. */
export class Spares {
  private arrays: (Float32Array | undefined)[] = [];

  keep(wire: WireGrad[]): void {
    this.arrays = wire.map((g) => (g instanceof Float32Array ? g : undefined));
  }

  /** the kept arrays, handed out once */
  take(): (Float32Array | undefined)[] {
    const a = this.arrays;
    this.arrays = [];
    return a;
  }
}

/** A wire gradient as a tensor of `shape`. */
export function fromWire(g: WireGrad, shape: number[]): tf.Tensor {
  if (g instanceof Float32Array) return tf.tensor(g, shape, 'float32');
  return tf.tidy(() =>
    tf.scatterND(
      tf.tensor2d(g.rows, [g.rows.length, 1], 'int32'),
      tf.tensor(g.values, [g.rows.length, ...shape.slice(1)], 'float32'),
      shape,
    ),
  );
}

/** Wire gradients as tensors of the variables' shapes, for a replica's optimizer step. A token-embedding gradient is
 *  written into a table this keeps between steps, where only last step's rows are cleared and this step's set (a
 *  30k × 128 table is 15 MB to allocate and zero every step otherwise); `take` returns tensors the caller disposes
 *  after the step, except the kept tables (`kept`). Where the backend gives no view of a tensor's memory, every
 *  gradient is a fresh tensor (fromWire). */
export class WireUnpacker {
  private readonly tables = new Map<number, { t: tf.Tensor; rows: Int32Array | null }>();

  take(grads: WireGrad[], shapes: number[][]): tf.Tensor[] {
    return grads.map((g, j) => {
      if (g instanceof Float32Array) return fromWire(g, shapes[j]);
      let kept = this.tables.get(j);
      if (!kept) {
        kept = { t: tf.zeros(shapes[j], 'float32'), rows: null };
        this.tables.set(j, kept);
      }
      const view = heapView(kept.t, { owned: true });
      if (!view) return fromWire(g, shapes[j]);
      const width = kept.t.size / kept.t.shape[0];
      if (kept.rows) for (const r of kept.rows) view.fill(0, r * width, (r + 1) * width);
      for (let r = 0; r < g.rows.length; r++) view.set(g.values.subarray(r * width, (r + 1) * width), g.rows[r] * width);
      kept.rows = g.rows;
      return kept.t;
    });
  }

  kept(t: tf.Tensor): boolean {
    return [...this.tables.values()].some((k) => k.t === t);
  }

  dispose(): void {
    for (const k of this.tables.values()) k.t.dispose();
    this.tables.clear();
  }
}

/** g + a wire gradient. Where g's memory is its own on the wasm heap the wire is added into it in place and g itself
 *  is returned (a token-embedding gradient is most of a small model, and only the batch's rows change); else sparse
 *  rows are added in place of a dense scatter (one copy of g instead of three passes). */
export function addWire(g: tf.Tensor, w: WireGrad): tf.Tensor {
  const view = heapView(g, { owned: true });
  if (view) {
    if (w instanceof Float32Array) for (let i = 0; i < w.length; i++) view[i] += w[i];
    else {
      const width = g.size / g.shape[0];
      for (let r = 0; r < w.rows.length; r++) {
        const at = w.rows[r] * width;
        for (let j = 0, k = r * width; j < width; j++, k++) view[at + j] += w.values[k];
      }
    }
    return g;
  }
  if (w instanceof Float32Array) return g.add(tf.tensor(w, g.shape, 'float32'));
  const idx = tf.tensor2d(w.rows, [w.rows.length, 1], 'int32');
  const rows = tf.gather(g, tf.tensor1d(w.rows, 'int32')).add(tf.tensor(w.values, [w.rows.length, ...g.shape.slice(1)], 'float32'));
  return tf.tensorScatterUpdate(g, idx, rows);
}

export const buffers = (gs: WireGrad[]) =>
  gs.flatMap((g) =>
    g instanceof Float32Array ? [g.buffer as ArrayBuffer] : [g.rows.buffer as ArrayBuffer, g.values.buffer as ArrayBuffer],
  );
