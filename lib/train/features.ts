// Head-only mode: the encoder is frozen, so its features are computed once per example (no gradient) and kept as
// plain Float32Arrays; each step then runs only the head on a batch of cached features. Computing them is the long
// part of a head-only run, so it goes through one seam, a FeatureExtractor: in this thread by default, or spread over
// worker threads by a runtime that has them (the CLI's pool: cli/threads.ts).
import * as tf from '@tensorflow/tfjs';
import type { TaskModel } from '@/lib/models/types';
import { makeTensorBatch, paddedLength, planEval, type PadOptions } from './batching';
import type { EncodedExample } from './encode';

export interface FeatureRows {
  /** per example, in the examples' order: [F] for sequence features or [tokens · H] for token features */
  rows: Float32Array[];
  width: number;
  perToken: boolean;
}

/** Encoder features of examples, computed in evaluation batches (length-sorted `planEval` batches of `batchSize`). */
export type FeatureExtractor = (
  examples: EncodedExample[],
  batchSize: number,
  pad: PadOptions,
  signal?: AbortSignal,
) => Promise<FeatureRows>;

/** The rows of one batch's feature tensor data ([B, F] or [B, T, H]), cut to each example's own length. */
function rowsOfBatch(
  data: Float32Array,
  shape: number[],
  idx: number[],
  examples: EncodedExample[],
): { rows: Float32Array[]; width: number; perToken: boolean } {
  const perToken = shape.length === 3;
  const width = shape[shape.length - 1];
  const t = perToken ? shape[1] : 1;
  const rows = idx.map((ex, r) => data.slice(r * t * width, (r * t + (perToken ? examples[ex].ids.length : 1)) * width));
  return { rows, width, perToken };
}

/** Features of the given batches (indices into `examples`), computed in this thread; rows keyed by example index. */
export async function featuresOfBatches(
  model: TaskModel,
  examples: EncodedExample[],
  batches: number[][],
  pad: PadOptions,
  signal?: AbortSignal,
  onBatch?: (done: number) => void,
): Promise<{ rows: Map<number, Float32Array>; width: number; perToken: boolean }> {
  const rows = new Map<number, Float32Array>();
  let width = 0;
  let perToken = false;
  let done = 0;
  for (const idx of batches) {
    if (signal?.aborted) break;
    const f = tf.tidy(() => model.features(makeTensorBatch(examples, idx, pad)));
    const data = (await f.data()) as Float32Array;
    const shape = f.shape;
    f.dispose();
    const r = rowsOfBatch(data, shape, idx, examples);
    ({ width, perToken } = r);
    idx.forEach((ex, i) => rows.set(ex, r.rows[i]));
    onBatch?.((done += idx.length));
  }
  return { rows, width, perToken };
}

/** The in-thread extractor. */
export function localFeatureExtractor(model: TaskModel, onProgress?: (done: number, total: number) => void): FeatureExtractor {
  return async (examples, batchSize, pad, signal) => {
    const r = await featuresOfBatches(
      model,
      examples,
      planEval(
        examples.map((e) => e.ids.length),
        batchSize,
      ),
      pad,
      signal,
      onProgress && ((done) => onProgress(done, examples.length)),
    );
    return { rows: examples.map((_, i) => r.rows.get(i)!), width: r.width, perToken: r.perToken };
  };
}

export class FeatureCache {
  private constructor(
    private readonly rows: Float32Array[][],
    private readonly width: number,
    private readonly perToken: boolean,
  ) {}

  static async build(
    model: TaskModel,
    splits: EncodedExample[][],
    batchSize: number,
    pad: PadOptions,
    signal?: AbortSignal,
    extract: FeatureExtractor = localFeatureExtractor(model),
  ): Promise<FeatureCache> {
    let width = 0;
    let perToken = false;
    const rows: Float32Array[][] = [];
    for (const examples of splits) {
      if (!examples.length || signal?.aborted) {
        rows.push([]);
        continue;
      }
      const r = await extract(examples, batchSize, pad, signal);
      ({ width, perToken } = r);
      rows.push(r.rows);
    }
    return new FeatureCache(rows, width, perToken);
  }

  /** [B, F] or [B, T, H] (zero-padded to the bucketed length of the batch) */
  batch(split: number, idx: number[], pad: PadOptions): { features: tf.Tensor; seqLen: number } {
    const rows = this.rows[split];
    if (!this.perToken) {
      const buf = new Float32Array(idx.length * this.width);
      idx.forEach((ex, r) => buf.set(rows[ex], r * this.width));
      return { features: tf.tensor2d(buf, [idx.length, this.width]), seqLen: 1 };
    }
    const longest = Math.max(1, ...idx.map((ex) => rows[ex].length / this.width));
    const t = paddedLength(longest, pad.multiple, pad.cap);
    const buf = new Float32Array(idx.length * t * this.width);
    idx.forEach((ex, r) => buf.set(rows[ex], r * t * this.width));
    return { features: tf.tensor3d(buf, [idx.length, t, this.width]), seqLen: t };
  }

  dispose(): void {
    this.rows.length = 0;
  }
}
