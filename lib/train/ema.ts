// An exponential moving average of the trained weights (Polyak averaging; Keras optimizers' `use_ema`, TF's
// ExponentialMovingAverage with num_updates): after optimizer step t, avg = d·avg + (1 − d)·w with
// d = min(decay, (1 + t) / (10 + t)), so early steps move the average quickly away from the starting weights (the
// fresh head). Training always continues from the raw weights; evaluation, the best checkpoint and the final model use
// the average, which is smoother than any single step's weights. The average travels in checkpoints (`Checkpoint.ema`)
// so a resumed run continues it exactly.
import * as tf from '@tensorflow/tfjs';
import { inPlaceAverage } from '@/lib/backend/fast-paths';
import type { TensorData } from '@/lib/store/types';
import { readVariables } from './state';

/** The decay used after `step` updates (TF's ExponentialMovingAverage with num_updates = step). */
export function emaDecayAt(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

export class WeightAverage {
  private readonly avg = new Map<string, tf.Variable>();

  /** Starts from the parameters' current values. */
  constructor(
    private readonly params: Map<string, tf.Variable>,
    readonly decay: number,
  ) {
    // p.mul(1): a copy with its own storage (tf.variable(p) would share p's, and the in-place updates need their own)
    for (const [name, p] of params)
      this.avg.set(
        name,
        tf.tidy(() => tf.variable(p.mul(1), false, undefined, 'float32')),
      );
  }

  /** Folds the parameters' values after optimizer step `step` (1, 2, ...) into the average. */
  update(step: number): void {
    const d = emaDecayAt(this.decay, step);
    const rest: string[] = [];
    const inPlace = inPlaceAverage(); // wasm: one pass per parameter on the heap, in double precision per element
    for (const [name, p] of this.params) if (!inPlace?.(this.avg.get(name)!, p, d)) rest.push(name);
    if (!rest.length) return;
    tf.tidy(() => {
      for (const name of rest) {
        const a = this.avg.get(name)!;
        a.assign(a.mul(d).add(this.params.get(name)!.mul(1 - d)));
      }
    });
  }

  /** Exchanges the parameters' values with the average's (no copy): call once to evaluate with the average, again to
   *  go back to the raw weights. */
  swap(): void {
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const a = this.avg.get(name)!;
        const raw = p.clone();
        p.assign(a);
        a.assign(raw);
      }
    });
  }

  /** Copies of the average by parameter name (for checkpoints and the best weights). */
  getState(): Promise<Record<string, TensorData>> {
    return readVariables(this.avg);
  }

  setState(state: Record<string, TensorData>): void {
    for (const [name, a] of this.avg) {
      const d = state[name];
      if (!d) throw new Error(`the checkpoint's weight average has no tensor for parameter "${name}"`);
      tf.tidy(() => a.assign(tf.tensor(d.data, a.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const a of this.avg.values()) a.dispose();
    this.avg.clear();
  }
}
