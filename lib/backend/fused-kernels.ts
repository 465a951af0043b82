// Attention's softmax backward and the feed-forward's bias + GELU as one pass each on the wasm backend, computed by the
// SIMD module (lib/backend/simd/) on the heap.
//
// FinetuneSoftmaxGrad: the backward of softmax(s·scores + mask) over the last axis, dx = s·y·(dy − Σ dy·y), one pass.
// As tensor ops it is tfjs's softmax gradient (a Multiply, a Sum, a broadcasting Subtract and a Multiply) and the
// scale's Multiply: 0.66 ms against 0.10 for bert-tiny's [32, 2, 64, 64] scores here. The forward stays the tensor
// ops (a Multiply, a broadcasting Add and tfjs's XNNPACK Softmax, 0.53 ms): a fused SIMD forward with the mask and
// scale measured 0.99 ms, its exp slower than XNNPACK's.
// FinetuneBiasGelu: y = gelu(x + b) and d = gelu′(x + b) in one pass: a training step keeps d for its backward (dy·d,
// one Multiply) instead of x + b, whose gelu′ FinetuneGeluGrad would compute again (the erf and exp are most of the
// cost); the bias add is no pass of its own. Inference keeps FinetuneGelu (no d to write).
// Each self-test compares with the plain tensor ops, forward and gradient. Registered by lib/backend/wasm-kernels.ts;
// the models reach them through lib/backend/fast-paths.ts.
import * as tf from '@tensorflow/tfjs';
import { count, geluOps, kernels, offset } from './simd-kernels';
import { differs, first, rand, TOL, type KernelArgs, type Scratch, type WasmBackend } from './wasm-checks';

export const SOFTMAX_GRAD_KERNEL = 'FinetuneSoftmaxGrad';
export const BIAS_GELU_KERNEL = 'FinetuneBiasGelu';

const lastDim = (t: tf.TensorInfo) => t.shape[t.shape.length - 1] ?? 1;

/** FinetuneSoftmaxGrad: inputs { dy, y } (one shape), attrs { scale }: dx = scale·y·(dy − Σ dy·y) over the last axis. */
export function softmaxGradKernel(args: KernelArgs): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const { scale } = args.attrs as unknown as { scale: number };
  if (dy.shape.join() !== y.shape.join()) throw new Error(`${SOFTMAX_GRAD_KERNEL}: dy [${dy.shape}] and y [${y.shape}] differ`);
  const c = lastDim(y);
  const dx = b.makeOutput([...y.shape], 'float32');
  kernels().softmaxGrad(offset(b, dy), offset(b, y), offset(b, dx), count(y) / c, c, scale);
  return dx;
}

/** FinetuneBiasGelu: inputs { x, b? } (b [C], C = x's last axis, a multiple of 4), outputs [y, d]: y = gelu(x + b),
 *  d = gelu′(x + b). */
export function biasGeluKernel(args: KernelArgs): tf.TensorInfo[] {
  const be = args.backend as WasmBackend;
  const { x, b } = args.inputs as { x: tf.TensorInfo; b?: tf.TensorInfo };
  const c = lastDim(x);
  if (b && (count(b) !== c || c % 4)) throw new Error(`${BIAS_GELU_KERNEL}: bias [${b.shape}] for rows of ${c} (a multiple of 4 wanted)`);
  const [y, d] = [be.makeOutput([...x.shape], 'float32'), be.makeOutput([...x.shape], 'float32')];
  kernels().geluD(offset(be, x), b ? offset(be, b) : null, offset(be, y), offset(be, d), count(x) / c, c);
  return [y, d];
}

/** softmax(scale·x + mask) as tensor ops: the forward, and the reference for FinetuneSoftmaxGrad. */
export function softmaxOps(x: tf.Tensor, mask: tf.Tensor, scale: number): tf.Tensor {
  return tf.softmax((scale === 1 ? x : x.mul(scale)).add(mask), -1);
}

/** scores [2, 3, 5, C] and mask [2, 1, 1, C]: row widths with and without a remainder of four, a masked column. */
function softmaxCase(c: number, seed: number) {
  const xv = rand(30 * c, seed).map((v) => v * 6);
  const mv = rand(2 * c, seed + 1).map((v, i) => (i % c === c - 1 ? -1e9 : v));
  return { xv, mv, xs: [2, 3, 5, c], ms: [2, 1, 1, c] };
}

export function testSoftmaxGrad(impl: (a: KernelArgs) => tf.TensorInfo, sc: Scratch): string | null {
  return first(
    ...[7, 8].map((c) => () => {
      const { xv, mv, xs, ms } = softmaxCase(c, 50 + c);
      const dyv = rand(xv.length, 60 + c);
      const [y, want] = tf.tidy(() => {
        const f = (x: tf.Tensor) => softmaxOps(x, tf.tensor(mv, ms), 0.35);
        return [f(tf.tensor(xv, xs)).dataSync(), tf.grad(f)(tf.tensor(xv, xs), tf.tensor(dyv, xs)).dataSync()];
      });
      const got = sc.run(impl, { dy: sc.input(xs, dyv), y: sc.input(xs, Float32Array.from(y)) }, { scale: 0.35 });
      return differs(`softmax gradient, rows of ${c}`, got[0], { shape: xs, dtype: 'float32', values: want }, TOL);
    }),
  );
}

/** Against geluOps(x + b) and its gradient, with a bias over rows of 8 and without one over 4·k + 3 values. */
export function testBiasGelu(impl: (a: KernelArgs) => tf.TensorInfo[], sc: Scratch): string | null {
  const xv = rand(13 * 8, 70).map((v, i) => (i % 3 === 0 ? v * 9 : v * 3));
  const bv = rand(8, 71);
  const cases: [string, number[], Float32Array, Float32Array | null][] = [
    ['with a bias', [13, 8], xv, bv],
    ['without one', [103], xv.slice(0, 103), null],
  ];
  return first(
    ...cases.map(([what, shape, x, bias]) => () => {
      const got = sc.run(impl, bias ? { x: sc.input(shape, x), b: sc.input([8], bias) } : { x: sc.input(shape, x) });
      if (got.length !== 2) return `gelu with its derivative, ${what}: ${got.length} outputs, expected 2`;
      const [y, d] = tf.tidy(() => {
        const z = bias ? tf.tensor(x, shape).add(tf.tensor1d(bias)) : tf.tensor(x, shape);
        return [geluOps(z).dataSync(), tf.grad(geluOps)(z).dataSync()];
      });
      return first(
        () => differs(`gelu(x + b), ${what}`, got[0], { shape, dtype: 'float32', values: y }, TOL),
        () => differs(`gelu′(x + b), ${what}`, got[1], { shape, dtype: 'float32', values: d }, TOL),
      );
    }),
  );
}
