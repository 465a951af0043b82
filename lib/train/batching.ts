// Batches: a per-epoch plan of example indices drawn from the seeded Rng (shuffled, then length-sorted inside windows
// of `window` batches so each batch holds similar lengths), and dynamic padding to the batch's longest sequence rounded
// up to a multiple — a bounded set of shapes, so GPU shaders compiled for one batch are reused by the next.
import * as tf from '@tensorflow/tfjs';
import type { Task, TensorBatch } from '@/lib/models/types';
import type { EncodedExample } from './encode';
import { IGNORE_INDEX } from './encode';
import type { Rng } from '../rng';

/**
 * The padded length for a batch whose longest sequence is `len`: a multiple of `multiple` up to 8·multiple (128 for
 * 16), then a multiple of 4·multiple (64), never above `cap` — 14 shapes cover 1..512 tokens.
 */
export function paddedLength(len: number, multiple: number, cap = Infinity): number {
  const step = len > 8 * multiple ? 4 * multiple : multiple;
  const rounded = Math.max(multiple, Math.ceil(len / step) * step);
  return Math.max(len, Math.min(rounded, cap));
}

/** The default pad multiple on a backend: GPU backends (webgpu, webgl) compile a program per input shape, so lengths are
 *  rounded up to multiples of 16 to reuse them; on wasm and cpu a new shape costs nothing, so batches pad only to their
 *  longest sequence (`paddedLength` still rounds above 8 tokens to a multiple of 4) — 16 % fewer tokens on SST-2. */
export function defaultPadMultiple(backend: string): number {
  return backend === 'webgpu' || backend === 'webgl' ? 16 : 1;
}

/** A model's padding: its pad id and maximum length, and `multiple` or the current backend's default. */
export function padOptionsFor(model: { tokenizer: { padId: number; modelMaxLength: number } }, multiple?: number): PadOptions {
  return { padId: model.tokenizer.padId, multiple: multiple ?? defaultPadMultiple(tf.getBackend()), cap: model.tokenizer.modelMaxLength };
}

/** One epoch's batches (example indices). Every example appears exactly once. */
export function planEpoch(lengths: number[], batchSize: number, window: number, rng: Rng): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const span = batchSize * window;
  for (let s = 0; s < order.length; s += span) {
    const chunk = order.slice(s, s + span);
    // stable: ties keep the shuffled order
    if (window > 1) chunk.sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return window > 1 ? rng.shuffle(batches) : batches;
}

/** Evaluation batches: sorted by length (less padding), in a fixed order. */
export function planEval(lengths: number[], batchSize: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  for (let b = 0; b < order.length; b += batchSize) batches.push(order.slice(b, b + batchSize));
  return batches;
}

export interface PadOptions {
  padId: number;
  multiple: number;
  cap?: number;
}

/** The padded length of a batch of examples (its longest, rounded as `paddedLength`). */
export function batchLength(examples: EncodedExample[], idx: number[], opts: PadOptions): number {
  return paddedLength(Math.max(1, ...idx.map((i) => examples[i].ids.length)), opts.multiple, opts.cap);
}

/** Token ids, attention mask and (when the examples have them) token type ids, padded on the right to the batch's
 *  length, or to `length` (a shard of a larger batch pads as the whole batch). */
export function makeTensorBatch(examples: EncodedExample[], idx: number[], opts: PadOptions, length?: number): TensorBatch {
  const t = Math.max(length ?? 0, batchLength(examples, idx, opts));
  const b = idx.length;
  const ids = new Int32Array(b * t).fill(opts.padId);
  const mask = new Int32Array(b * t);
  const withTypes = idx.some((i) => examples[i].typeIds);
  const types = withTypes ? new Int32Array(b * t) : null;
  idx.forEach((ex, r) => {
    const e = examples[ex];
    ids.set(e.ids, r * t);
    mask.fill(1, r * t, r * t + e.ids.length);
    if (types && e.typeIds) types.set(e.typeIds, r * t);
  });
  return {
    inputIds: tf.tensor2d(ids, [b, t], 'int32'),
    attentionMask: tf.tensor2d(mask, [b, t], 'int32'),
    ...(types ? { tokenTypeIds: tf.tensor2d(types, [b, t], 'int32') } : {}),
  };
}

/** Loss targets for a batch: class ids [B] (int32); multi-hot [B, C]; values [B]; token tags [B, T] (int32). */
export function makeTargets(task: Task, examples: EncodedExample[], idx: number[], numLabels: number, seqLen: number): tf.Tensor {
  const b = idx.length;
  if (task === 'classification')
    return tf.tensor1d(
      idx.map((i) => examples[i].label as number),
      'int32',
    );
  if (task === 'regression')
    return tf.tensor1d(
      idx.map((i) => examples[i].label as number),
      'float32',
    );
  if (task === 'multilabel') {
    const hot = new Float32Array(b * numLabels);
    idx.forEach((ex, r) => {
      for (const c of examples[ex].label as number[]) hot[r * numLabels + c] = 1;
    });
    return tf.tensor2d(hot, [b, numLabels]);
  }
  const tags = new Int32Array(b * seqLen).fill(IGNORE_INDEX);
  idx.forEach((ex, r) => tags.set(examples[ex].tags ?? [], r * seqLen));
  return tf.tensor2d(tags, [b, seqLen], 'int32');
}
