// The one seam between the engine (models, optimizer, weight average) and a backend's fast paths. Callers ask "is
// there an in-place Adam step / heap view / fused LayerNorm / fused dropout for the backend in use?" and get the
// implementation, or null: then they use the plain TF.js ops, which compute the same values on every backend; GELU and
// Σx² come as ops that pick the fused kernel themselves. Today only the wasm backend has fast paths
// (lib/backend/wasm-kernels.ts, installed by lib/backend/init.ts after each one's self-test); nothing else imports
// wasm-kernels.ts (eslint enforces it).
import * as tf from '@tensorflow/tfjs';
import { BIAS_GELU_KERNEL, SOFTMAX_GRAD_KERNEL, softmaxOps } from './fused-kernels';
import { DROPOUT_KERNEL, GELU_GRAD_KERNEL, GELU_KERNEL, geluOps, SUM_SQUARES_KERNEL } from './simd-kernels';
import {
  heapF32,
  LAYER_NORM_GRAD_KERNEL,
  LAYER_NORM_KERNEL,
  wasmHeapBytes,
  wasmInPlace,
  type AdamStepConstants,
  type AdamStepFn,
  type AverageFn,
} from './wasm-kernels';

export type { AdamStepConstants, AdamStepFn, AverageFn };

/**
 * A Float32Array over a float32 tensor's memory, or null where the backend has none or (with `owned`, for updating it
 * in place) it is not safe: see heapF32 in wasm-kernels.ts. Valid until the next allocation on the backend.
 */
export function heapView(t: tf.Tensor, opts: { owned: boolean }): Float32Array | null {
  return heapF32(t, opts);
}

/** The memory this thread's backend holds: on wasm the heap's size (its peak: the heap never shrinks), elsewhere the
 *  bytes of the live tensors. */
export function backendMemoryBytes(): number {
  return wasmHeapBytes() ?? tf.memory().numBytes;
}

/** The in-place Adam/AdamW step for the backend in use (it updates parameter and moments in one pass), or null. */
export function inPlaceAdamStep(): AdamStepFn | null {
  return wasmInPlace().adam;
}

/** The in-place weight-average update (avg = d·avg + (1 − d)·p) for the backend in use, or null. */
export function inPlaceAverage(): AverageFn | null {
  return wasmInPlace().average;
}

/** LayerNorm of x [N, H] over its last axis with gamma, beta [H], with a gradient. */
export type LayerNormFn = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) => tf.Tensor;

/** LayerNorm as one fused kernel each way (forward, backward) where the backend in use has both, else null. */
export function fusedLayerNorm(): LayerNormFn | null {
  const backend = tf.getBackend();
  return tf.getKernel(LAYER_NORM_KERNEL, backend) && tf.getKernel(LAYER_NORM_GRAD_KERNEL, backend) ? layerNormFused : null;
}

function layerNormFused(x2: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return layerNormOp(eps)(x2, gamma, beta);
}

type CustomGradBody = Parameters<typeof tf.customGrad>[0];
/** One custom-gradient op per epsilon (models use one or two), built on first use. */
const layerNormOps = new Map<number, (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor>();
function layerNormOp(eps: number) {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
      const attrs = { eps } as unknown as tf.NamedAttrMap;
      const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma, beta }, attrs) as tf.Tensor[];
      save([x, gamma, mean, rstd]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) =>
          tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy, x: s[0], gamma: s[1], mean: s[2], rstd: s[3] }) as tf.Tensor[],
      };
    }) as unknown as CustomGradBody) as unknown as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    layerNormOps.set(eps, op);
  }
  return op;
}

/** gelu(x) = x·½·(1 + erf(x/√2)) with its gradient: one fused kernel each way where the backend in use has both (wasm,
 *  in SIMD), else the tensor ops. */
export function gelu(x: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend();
  return tf.getKernel(GELU_KERNEL, backend) && tf.getKernel(GELU_GRAD_KERNEL, backend) ? geluFused(x) : geluOps(x);
}

const geluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x: s[0] }) as tf.Tensor,
  };
}) as unknown as CustomGradBody) as unknown as (x: tf.Tensor) => tf.Tensor;

/** softmax(scale·x + mask) over x's last axis, with its gradient (for x; the mask is a constant), the mask's rows
 *  broadcast over x's ([batch, 1, 1, T] over attention scores [batch, heads, T, T]). The forward is the tensor ops
 *  (XNNPACK's Softmax on wasm); the backward one fused kernel where the backend in use has it (wasm, in SIMD), else
 *  tfjs's gradients of those ops. */
export function maskedSoftmax(x: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor {
  if (x.dtype !== 'float32' || !tf.getKernel(SOFTMAX_GRAD_KERNEL, tf.getBackend())) return softmaxOps(x, mask, scale);
  const attrs = { scale } as unknown as tf.NamedAttrMap;
  const op = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = softmaxOps(t, mask, scale);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dy, y: s[0] }, attrs) as tf.Tensor,
    };
  }) as unknown as CustomGradBody) as unknown as (t: tf.Tensor) => tf.Tensor;
  return op(x);
}

/** y = gelu(x + b) and d = gelu′(x + b), b a bias over x's last axis or none. */
export type GeluWithDerivativeFn = (x: tf.Tensor, b?: tf.Tensor) => [y: tf.Tensor, d: tf.Tensor];

/** GELU with its derivative in one pass (a training step keeps d for its backward, dy·d, instead of x + b), where the
 *  backend in use has the fused kernel (wasm, in SIMD) and, with a bias, `width` (x's last axis) is a multiple of 4;
 *  else null. */
export function fusedGeluWithDerivative(width: number, withBias: boolean): GeluWithDerivativeFn | null {
  if (!tf.getKernel(BIAS_GELU_KERNEL, tf.getBackend())) return null;
  return withBias && width % 4 ? null : geluWithDerivative;
}

function geluWithDerivative(x: tf.Tensor, b?: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BIAS_GELU_KERNEL, b ? { x, b } : { x }) as unknown as [tf.Tensor, tf.Tensor];
}

/** Σ t² as a scalar: one SIMD pass in double precision where the backend in use has it (wasm), else the tensor ops. */
export function sumOfSquares(t: tf.Tensor): tf.Scalar {
  return tf.getKernel(SUM_SQUARES_KERNEL, tf.getBackend()) && t.dtype === 'float32'
    ? (tf.engine().runKernel(SUM_SQUARES_KERNEL, { x: t }) as tf.Scalar)
    : tf.sum(tf.square(t));
}

/** x times lib/rng.ts's dropout mask for (rate, seed, rows: the batch positions of x's rows, or none for one mask over
 *  x), with its gradient (dy times the same mask, drawn again); the mask never exists as an array. */
export type DropoutFn = (x: tf.Tensor, rate: number, seed: number, rows?: readonly number[]) => tf.Tensor;

/** Dropout as one kernel each way where the backend in use has it (wasm), else null (the caller multiplies by a mask). */
export function fusedDropout(): DropoutFn | null {
  return tf.getKernel(DROPOUT_KERNEL, tf.getBackend()) ? dropoutFused : null;
}

function dropoutFused(x: tf.Tensor, rate: number, seed: number, rows?: readonly number[]): tf.Tensor {
  const attrs = { rate, seed, rows: rows ? [...rows] : [] } as unknown as tf.NamedAttrMap;
  const op = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.engine().runKernel(DROPOUT_KERNEL, { x: t }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(DROPOUT_KERNEL, { x: dy }, attrs) as tf.Tensor,
    };
  }) as unknown as CustomGradBody) as unknown as (t: tf.Tensor) => tf.Tensor;
  return op(x);
}
