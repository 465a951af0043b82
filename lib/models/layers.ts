// Building blocks shared by the architectures. Linear weights keep PyTorch's [out, in] layout, so x·Wᵀ.
import * as tf from '@tensorflow/tfjs';
import { fusedDropout, fusedGeluWithDerivative, fusedLayerNorm, gelu, maskedSoftmax } from '@/lib/backend/fast-paths';
import { dropoutMask, rowDropoutMask } from '@/lib/rng';

/** The mask `dropout` multiplies by (mulberry32, one pass; see lib/rng.ts). */
export { dropoutMask };

/** A low-rank adapter on one Linear: W' = W + scale · B·A (A: [r, in], B: [out, r]). */
export interface LoraAdapter {
  A: tf.Variable;
  B: tf.Variable;
  scale: number;
  dropout: number;
}

export interface LayerContext {
  params: Map<string, tf.Variable>;
  training: boolean;
  /** adapters keyed by the Linear's prefix, e.g. "encoder.layer.0.attention.self.query" */
  lora?: Map<string, LoraAdapter>;
  seed?: number;
  /** where each batch row sits in the whole batch (ForwardOptions.rows) */
  rows?: readonly number[];
}

export function param(ctx: LayerContext, name: string): tf.Variable {
  const p = ctx.params.get(name);
  if (!p) throw new Error(`missing parameter "${name}"`);
  return p;
}

/** Swaps the last two axes. */
export function swapLast(a: tf.Tensor): tf.Tensor {
  const perm = a.shape.map((_, i) => i);
  [perm[a.rank - 2], perm[a.rank - 1]] = [perm[a.rank - 1], perm[a.rank - 2]];
  return a.transpose(perm);
}

/**
 * a·b (rank 2 to 4, same batch dims) whose gradients transpose explicitly instead of using matMul's transpose flags:
 * on the wasm backend a flagged matMul is 4-20x slower than a transpose plus a plain one (measured here: x·Wᵀ for
 * [2048,128]·[128,512] 339 ms flagged vs 90 ms explicit; dyᵀ·x 463 ms vs 57 ms), and autodiff of tf.matMul produces
 * flagged ones.
 */
export const matMulPlain = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor3D, swapLast(saved[1]) as tf.Tensor3D),
      tf.matMul(swapLast(saved[0]) as tf.Tensor3D, dy as tf.Tensor3D),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** x·Wᵀ for a PyTorch-layout [out, in] weight, without transpose flags (see matMulPlain). */
export function matMulWt(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  return matMulPlain(x, w.transpose());
}

/**
 * x·W + b for a 2-D x [M, in], with W in PyTorch's [out, in] layout (`layout: 'out-in'`) or TF's [in, out]
 * (`'in-out'`). Its backward is written out so that every product is a plain 2-D matmul with one large transpose,
 * of the smaller of dy and x, which also serves the bias gradient: autodiff of `add(y, b)` would reduce dy over its
 * first axis, which the wasm backend does by transposing all of dy again (2.4 ms for [2048, 128] against 0.2 ms).
 */
type AffineLayout = 'out-in' | 'in-out';
type CustomGradBody = Parameters<typeof tf.customGrad>[0];

/** The two custom-gradient ops (with and without bias) for one weight layout, built once at module load. */
function affineOps(layout: AffineLayout) {
  const outIn = layout === 'out-in';
  const forward = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.matMul(x, outIn ? w.transpose() : w);
  /**
   * dx, dW (in W's layout) and the bias gradient (a function: only the biased op asks for it). dW needs one of the
   * two [M, ·] operands transposed: dy [M, out] or x [M, in], the wider one, so that the product's right operand is
   * the narrower: XNNPACK packs the right operand for every call, and a narrow one packs and multiplies faster (bert's
   * feed-forward dW at 1,024 tokens: dyᵀ·x [512,1024]·[1024,128] 4.6 ms against xᵀ·dy [128,1024]·[1024,512] 6.9 ms,
   * which more than pays for transposing the wider operand, 1.2 ms against 0.3). With dyᵀ the bias gradient is its
   * last-axis sum, else dy's first-axis sum (a one-pass kernel on wasm).
   */
  const backward = (dy: tf.Tensor2D, x: tf.Tensor2D, w: tf.Tensor2D): [tf.Tensor, tf.Tensor, () => tf.Tensor] => {
    const dx = tf.matMul(dy, outIn ? w : w.transpose());
    const nIn = x.shape[1];
    const nOut = dy.shape[1];
    if (nOut >= nIn) {
      const dyT = dy.transpose(); // [out, M]
      const dWoi = tf.matMul(dyT, x); // [out, in]
      return [dx, outIn ? dWoi : dWoi.transpose(), () => dyT.sum(-1)];
    }
    const dWio = tf.matMul(x.transpose(), dy); // [in, out]
    return [dx, outIn ? dWio.transpose() : dWio, () => dy.sum(0)];
  };
  const plain = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: forward(x, w),
      gradFunc: (dy: tf.Tensor2D, s: tf.Tensor[]) => backward(dy, s[0] as tf.Tensor2D, s[1] as tf.Tensor2D).slice(0, 2),
    };
  }) as unknown as CustomGradBody) as unknown as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor2D;
  const biased = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: forward(x, w).add(b),
      gradFunc: (dy: tf.Tensor2D, s: tf.Tensor[]) => {
        const [dx, dW, db] = backward(dy, s[0] as tf.Tensor2D, s[1] as tf.Tensor2D);
        return [dx, dW, db().reshape(b.shape)];
      },
    };
  }) as unknown as CustomGradBody) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
  /** gelu(x·W + b), where the backend has GELU with its derivative (lib/backend/fast-paths.ts): the bias and GELU are
   *  one pass after the product, and the backward multiplies dy by the kept derivative instead of computing it again */
  const biasedGelu = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const [y, d] = fusedGeluWithDerivative(b.size, true)!(forward(x, w), b);
    save([x, w, d]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, s: tf.Tensor[]) => {
        const [dx, dW, db] = backward(dy.mul(s[2]) as tf.Tensor2D, s[0] as tf.Tensor2D, s[1] as tf.Tensor2D);
        return [dx, dW, db().reshape(b.shape)];
      },
    };
  }) as unknown as CustomGradBody) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
  return { plain, biased, biasedGelu };
}
const AFFINE = { 'out-in': affineOps('out-in'), 'in-out': affineOps('in-out') };

export function affine(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor | undefined, layout: AffineLayout): tf.Tensor2D {
  const ops = AFFINE[layout];
  return b ? ops.biased(x, w, b) : ops.plain(x, w);
}

let dropoutCounter = 0;
/** Inverted dropout: x times a mask of 0 (probability `rate`) and 1/(1-rate). Seeded masks repeat exactly. */
export function dropout(x: tf.Tensor, rate: number, ctx: LayerContext): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  const seed = ctx.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : ctx.seed * 1009 + dropoutCounter++;
  const fused = fusedDropout(); // wasm: the mask drawn inside one pass each way
  if (fused) return fused(x, rate, seed, ctx.rows);
  const mask = ctx.rows ? rowDropoutMask(x.size, ctx.rows, rate, seed) : dropoutMask(x.size, rate, seed);
  return x.mul(tf.tensor(mask, x.shape, 'float32'));
}

/** gelu(x) for a training step: where the backend has GELU with its derivative, one pass that keeps gelu′(x) for the
 *  backward (dy·gelu′(x), no second erf); else the GELU op. */
function geluTraining(x: tf.Tensor): tf.Tensor {
  const fused = fusedGeluWithDerivative(x.shape[x.rank - 1], false);
  if (!fused) return gelu(x);
  const op = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, d] = fused(t);
    save([d]);
    return { value: y, gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => dy.mul(s[0]) };
  }) as unknown as CustomGradBody) as unknown as (t: tf.Tensor) => tf.Tensor;
  return op(x);
}

/**
 * gelu(Linear(x)) (erf GELU, as Hugging Face's "gelu"): the feed-forward's first half. In training, where the backend
 * has GELU with its derivative (wasm), the bias and GELU are one pass after the product and the backward reuses the
 * kept derivative (a LoRA adapter on the Linear: its sum first, then GELU with the derivative); in inference the GELU
 * op, which writes no derivative. The same values either way.
 */
export function linearGelu(ctx: LayerContext, prefix: string, x: tf.Tensor): tf.Tensor {
  if (!ctx.training) return gelu(linear(ctx, prefix, x));
  const w = param(ctx, `${prefix}.weight`);
  const b = ctx.params.get(`${prefix}.bias`);
  if (ctx.lora?.has(prefix) || !b || !fusedGeluWithDerivative(w.shape[0], true)) return geluTraining(linear(ctx, prefix, x));
  const shape = x.shape as number[];
  const y = AFFINE['out-in'].biasedGelu(x.reshape([-1, shape[shape.length - 1]]), w, b);
  return y.reshape([...shape.slice(0, -1), y.shape[1] as number]);
}

/** act(Linear(x)): `linearGelu` where act is geluErf, else the Linear then the activation. */
export function linearAct(ctx: LayerContext, prefix: string, x: tf.Tensor, act: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return act === geluErf ? linearGelu(ctx, prefix, x) : act(linear(ctx, prefix, x));
}

/** Resets the per-forward dropout counter so seeded masks repeat exactly for the same seed. */
export function resetDropoutCounter(): void {
  dropoutCounter = 0;
}

/** Linear with optional LoRA: x [.., in] -> [.., out]. Weight "<prefix>.weight" is [out, in]. */
export function linear(ctx: LayerContext, prefix: string, x: tf.Tensor): tf.Tensor {
  const w = param(ctx, `${prefix}.weight`);
  const b = ctx.params.get(`${prefix}.bias`);
  const shape = x.shape as number[];
  const x2 = x.reshape([-1, shape[shape.length - 1]]) as tf.Tensor2D;
  const y = withLora(ctx, prefix, x2, affine(x2, w, b, 'out-in'));
  return y.reshape([...shape.slice(0, -1), y.shape[1] as number]);
}

/**
 * Several Linears of the same input (attention's query, key and value) as one product: the weights concatenated
 * along the output axis, the result split back (each with its own LoRA). One wider matmul, and one transpose in the
 * backward instead of one per Linear; the same values as `linear` for each.
 */
export function linears(ctx: LayerContext, prefixes: string[], x: tf.Tensor): tf.Tensor[] {
  const ws = prefixes.map((p) => param(ctx, `${p}.weight`));
  const bs = prefixes.map((p) => ctx.params.get(`${p}.bias`));
  if (bs.some((b) => !b)) return prefixes.map((p) => linear(ctx, p, x));
  const shape = x.shape as number[];
  const x2 = x.reshape([-1, shape[shape.length - 1]]) as tf.Tensor2D;
  const outs = ws.map((w) => w.shape[0]);
  const y = affine(x2, tf.concat(ws, 0), tf.concat(bs as tf.Tensor[], 0), 'out-in');
  return tf
    .split(y, outs, 1)
    .map((part, i) => withLora(ctx, prefixes[i], x2, part as tf.Tensor2D).reshape([...shape.slice(0, -1), outs[i]]));
}

/** y plus the Linear's LoRA term scale · B·A·dropout(x), where it has an adapter. */
function withLora(ctx: LayerContext, prefix: string, x2: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const ad = ctx.lora?.get(prefix);
  if (!ad) return y;
  const xin = dropout(x2, ad.dropout, ctx) as tf.Tensor2D;
  return y.add(matMulWt(matMulWt(xin, ad.A), ad.B).mul(ad.scale));
}

export function layerNorm(
  ctx: LayerContext,
  prefix: string,
  x: tf.Tensor,
  eps: number,
  names: { weight: string; bias: string } = { weight: 'weight', bias: 'bias' },
): tf.Tensor {
  return layerNormOp(x, param(ctx, `${prefix}.${names.weight}`), param(ctx, `${prefix}.${names.bias}`), eps);
}

/** (x − mean) / sqrt(var + eps) · gamma + beta over the last axis (biased variance, as PyTorch and TF): one fused
 *  kernel each way where the backend has one (lib/backend/fast-paths.ts), else tensor ops. */
export function layerNormOp(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const fused = x.dtype === 'float32' ? fusedLayerNorm() : null;
  if (fused) {
    const h = x.shape[x.rank - 1];
    return fused(x.reshape([-1, h]), gamma, beta, eps).reshape(x.shape);
  }
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(eps)))
    .mul(gamma)
    .add(beta);
}

/** GELU with the exact erf form, as Hugging Face's "gelu" (one fused kernel each way on wasm: lib/backend). */
export const geluErf: (x: tf.Tensor) => tf.Tensor = gelu;

/** Additive attention mask from a [B, T] 0/1 mask: [B, 1, 1, T] with 0 where attended, a large negative elsewhere. */
export function additiveMask(mask: tf.Tensor2D): tf.Tensor4D {
  const [b, t] = mask.shape;
  return tf.sub(1, mask.toFloat()).mul(-1e9).reshape([b, 1, 1, t]);
}

/** Scaled dot-product attention over heads. q,k,v: [B, T, H]; returns [B, T, H]. */
export function multiHeadAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  heads: number,
  mask4d: tf.Tensor4D,
  dropRate: number,
  ctx: LayerContext,
): tf.Tensor3D {
  const [b, t, h] = q.shape as [number, number, number];
  const d = h / heads;
  const split = (x: tf.Tensor) => x.reshape([b, -1, heads, d]).transpose([0, 2, 1, 3]);
  const qh = split(q),
    kh = split(k),
    vh = split(v);
  // softmax(scores/√d + mask), its backward one kernel on wasm (lib/backend/fast-paths.ts)
  const probs = dropout(maskedSoftmax(matMulPlain(qh, swapLast(kh)), mask4d, 1 / Math.sqrt(d)), dropRate, ctx);
  const ctxh = matMulPlain(probs, vh);
  return ctxh.transpose([0, 2, 1, 3]).reshape([b, t, h]) as tf.Tensor3D;
}
