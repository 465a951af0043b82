// Gradient clipping by global norm, as a factor applied inside the optimizer's update: read back (wasm, cpu) or kept on
// the device (WebGPU/WebGL, where a read inside the step would stall the queue).
import * as tf from '@tensorflow/tfjs';

/** Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: the factor the gradients are multiplied by. */
export function clipScale(globalNorm: number, maxNorm: number): number {
  return maxNorm > 0 && globalNorm > maxNorm ? maxNorm / (globalNorm + 1e-6) : 1;
}

/** clipScale on the device, from stats = [loss, global norm]: nothing is read back. */
export function clipScaleTensor(stats: tf.Tensor, maxNorm: number): tf.Scalar {
  if (!(maxNorm > 0)) return tf.scalar(1);
  const norm = stats.slice([1], [1]).reshape([]);
  return tf.where(tf.greater(norm, maxNorm), tf.div(maxNorm, norm.add(1e-6)), tf.scalar(1)) as tf.Scalar;
}
