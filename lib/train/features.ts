// Head-only mode: the encoder is frozen, so its features are computed once per example (no gradient) and kept as
// plain Float32Arrays; each step then runs only the head on a batch of cached features.
import * as tf from '@tensorflow/tfjs';
import type { TaskModel } from '@/lib/models/types';
import { makeTensorBatch, paddedLength, planEval, type PadOptions } from './batching';
import type { EncodedExample } from './encode';

export class FeatureCache {
  /** per split, per example: [F] for sequence features or [tokens · H] for token features */
  private constructor(private readonly rows: Float32Array[][], private readonly width: number, private readonly perToken: boolean) {}

  static async build(model: TaskModel, splits: EncodedExample[][], batchSize: number, pad: PadOptions, signal?: AbortSignal): Promise<FeatureCache> {
    let width = 0;
    let perToken = false;
    const rows: Float32Array[][] = [];
    for (const examples of splits) {
      const out: Float32Array[] = new Array(examples.length);
      for (const idx of planEval(examples.map((e) => e.ids.length), batchSize)) {
        if (signal?.aborted) break;
        const f = tf.tidy(() => model.features(makeTensorBatch(examples, idx, pad)));
        const data = (await f.data()) as Float32Array;
        const shape = f.shape;
        f.dispose();
        perToken = shape.length === 3;
        width = shape[shape.length - 1];
        const t = perToken ? (shape[1] as number) : 1;
        idx.forEach((ex, r) => {
          const len = perToken ? examples[ex].ids.length : 1;
          out[ex] = data.slice(r * t * width, (r * t + len) * width);
        });
      }
      rows.push(out);
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
