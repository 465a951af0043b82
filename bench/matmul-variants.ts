// `node --import tsx bench/matmul-variants.ts`: the wasm backend's BatchMatMul is fast (XNNPACK) only for a 2-D,
// non-transposed product; transposeA/transposeB and batched (3-D/4-D) products take a slow generic loop. This times
// the shapes of one bert-tiny training step (B 32, T 64, H 128, FFN 512) written both ways, interleaved, best of N.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/init';

await initBackend({ preference: 'wasm' });
const REPS = Number(process.env.REPS ?? 7);

function best(f: () => void): number {
  f();
  let m = Infinity;
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    f();
    m = Math.min(m, performance.now() - t0);
  }
  return m;
}

const run = (f: () => tf.Tensor | tf.Tensor[]) => () =>
  tf.tidy(() => {
    const r = f();
    (Array.isArray(r) ? r : [r]).forEach((t) => t.dataSync());
  });

/** Linear y = x·Wᵀ (W [out, in], PyTorch layout) with forward + both gradients, two ways. */
function linearCase(rows: number, inDim: number, outDim: number) {
  const x = tf.variable(tf.randomNormal([rows, inDim]));
  const w = tf.variable(tf.randomNormal([outDim, inDim]));
  const dy = tf.randomNormal([rows, outDim]);
  const flags = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true);
  const plain = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, b]);
    return {
      value: tf.matMul(a as tf.Tensor2D, tf.transpose(b) as tf.Tensor2D),
      gradFunc: (g: tf.Tensor, [a2, b2]: tf.Tensor[]) => [
        tf.matMul(g as tf.Tensor2D, b2 as tf.Tensor2D),
        tf.matMul(tf.transpose(g) as tf.Tensor2D, a2 as tf.Tensor2D),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  const step = (lin: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
    run(() => Object.values(tf.variableGrads(() => lin(x, w).mul(dy).sum() as tf.Scalar, [x, w]).grads));
  const flops = 3 * 2 * rows * inDim * outDim;
  const a = best(step(flags));
  const b = best(step(plain));
  console.log(
    JSON.stringify({
      case: `linear fwd+bwd [${rows},${inDim}]→${outDim}`,
      transposeFlagMs: +a.toFixed(1),
      explicitTransposeMs: +b.toFixed(1),
      speedup: +(a / b).toFixed(1),
      gflopsFlag: +(flops / a / 1e6).toFixed(1),
      gflopsExplicit: +(flops / b / 1e6).toFixed(1),
    }),
  );
  tf.dispose([x, w, dy]);
}

/** Attention scores Q·Kᵀ over [B, heads, T, d]: one batched matmul vs a loop of 2-D matmuls. */
function attentionCase(b: number, heads: number, t: number, d: number) {
  const q = tf.randomNormal([b * heads, t, d]);
  const k = tf.randomNormal([b * heads, t, d]);
  const batched = best(run(() => tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true)));
  const batchedPlain = best(run(() => tf.matMul(q as tf.Tensor3D, tf.transpose(k, [0, 2, 1]) as tf.Tensor3D)));
  const loop = best(
    run(() => {
      const qs = tf.unstack(q),
        ks = tf.unstack(tf.transpose(k, [0, 2, 1]));
      return tf.stack(qs.map((qq, i) => tf.matMul(qq as tf.Tensor2D, ks[i] as tf.Tensor2D)));
    }),
  );
  const flops = 2 * b * heads * t * t * d;
  console.log(
    JSON.stringify({
      case: `attention QKᵀ [${b}·${heads},${t},${d}]`,
      batchedTransposeFlagMs: +batched.toFixed(1),
      batchedExplicitMs: +batchedPlain.toFixed(1),
      loopOf2dMs: +loop.toFixed(1),
      gflopsBest: +(flops / Math.min(batched, batchedPlain, loop) / 1e6).toFixed(2),
    }),
  );
  tf.dispose([q, k]);
}

const a = tf.randomNormal([512, 512]),
  b2 = tf.randomNormal([512, 512]);
console.log(
  JSON.stringify({
    case: 'matmul 512×512 plain',
    ms: +best(run(() => tf.matMul(a as tf.Tensor2D, b2 as tf.Tensor2D))).toFixed(1),
    transposeBMs: +best(run(() => tf.matMul(a as tf.Tensor2D, b2 as tf.Tensor2D, false, true))).toFixed(1),
    transposeAMs: +best(run(() => tf.matMul(a as tf.Tensor2D, b2 as tf.Tensor2D, true, false))).toFixed(1),
  }),
);
linearCase(2048, 128, 128);
linearCase(2048, 128, 512);
linearCase(2048, 512, 128);
attentionCase(32, 2, 64, 64);
