// Moving weights between a model's tf.Variables and plain checkpoint records.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '@/lib/errors';
import type { Checkpoint, TensorData } from '@/lib/store/types';

/** Copies of every variable's values (async reads: WebGPU/WebGL never block on a sync download). */
export async function readVariables(vars: Map<string, tf.Variable>): Promise<Record<string, TensorData>> {
  const out: Record<string, TensorData> = {};
  for (const [name, v] of vars) out[name] = { shape: [...v.shape], data: new Float32Array((await v.data()) as Float32Array) };
  return out;
}

/** The weights a checkpoint's model was evaluated with: its weight average over the raw weights where the run keeps
 *  one (TrainConfig.emaDecay), else the raw weights. What a trained model is rebuilt from; a resume uses both. */
export function evaluatedWeights(ckpt: Pick<Checkpoint, 'weights' | 'ema'>): Record<string, TensorData> {
  return ckpt.ema ? { ...ckpt.weights, ...ckpt.ema } : ckpt.weights;
}

/** Assigns every variable from `weights` by name; a missing tensor or a shape mismatch is a UserError naming it. */
export function assignVariables(vars: Map<string, tf.Variable>, weights: Record<string, TensorData>, source = 'checkpoint'): void {
  for (const [name, v] of vars) {
    const w = weights[name];
    if (!w)
      throw new UserError(
        `the ${source} has no tensor for parameter "${name}"`,
        { tensor: name },
        'resume with a checkpoint from the same model and fine-tuning mode',
      );
    const same = w.shape.length === v.shape.length && w.shape.every((d, i) => d === v.shape[i]);
    if (!same)
      throw new UserError(
        `the ${source} has shape [${w.shape}] for "${name}" but the model expects [${v.shape}]`,
        { tensor: name },
        'resume with a checkpoint from the same model configuration',
      );
    tf.tidy(() => v.assign(tf.tensor(w.data, v.shape, 'float32')));
  }
}
