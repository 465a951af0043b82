// GELU as one kernel each way, Σx² (a gradient's squared norm, for clipping) and dropout as one pass each, on the
// wasm backend, computed by the SIMD module (lib/backend/simd/) on the heap. Dropout draws lib/rng.ts's masks inside
// the pass (no mask array built in JavaScript and copied in) and its backward is the same kernel on dy.
// As tensor ops, gelu(x) = x·½·(1 + erf(x/√2)) is five kernels forward (two multiplies, Erf, an add, a multiply) and
// about ten backward, each a pass over a [tokens, 4·hidden] tensor (bert-tiny: 1 M floats per layer at batch 32,
// length 64); the fused kernels make one pass each way. The self-tests compare them with those tensor ops
// (`geluOps`, tfjs's own Erf), forward and gradient. Registered by lib/backend/wasm-kernels.ts; the models reach them
// through lib/backend/fast-paths.ts `gelu`.
import * as tf from '@tensorflow/tfjs';
import { dropoutConstants, dropoutMask, rowDropoutMask, rowSeed } from '@/lib/rng';
import { simdKernels, type SimdKernels } from './simd/module';

export type { SimdKernels };
import { differs, first, rand, TOL, wasmMemoryOf, type KernelArgs, type KernelFn, type Scratch, type WasmBackend } from './wasm-checks';
import { state } from './wasm-heap';

export const GELU_KERNEL = 'FinetuneGelu';
export const GELU_GRAD_KERNEL = 'FinetuneGeluGrad';
export const SUM_SQUARES_KERNEL = 'FinetuneSumSquares';
export const DROPOUT_KERNEL = 'FinetuneDropout';

/** gelu(x) = x·Φ(x) as plain tensor ops (erf form, as Hugging Face's "gelu"): the reference, and the path where the
 *  fused kernels are not installed. */
export function geluOps(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
}

/** The SIMD kernels on this backend's memory, or why not (asked once, when the kernels are installed). */
export function simdOf(backend: WasmBackend): SimdKernels | string {
  const memory = wasmMemoryOf(backend);
  return memory ? simdKernels(memory) : 'the wasm backend exposes no WebAssembly.Memory';
}

export const offset = (b: WasmBackend, t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;
export const count = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);

/** The SIMD module chosen when the kernels were installed (these kernels are installed only with it). */
export function kernels(): SimdKernels {
  if (!state.simd) throw new Error('the WebAssembly SIMD module is not in use');
  return state.simd;
}

/** FinetuneGelu: inputs { x } (float32), output y of x's shape. */
export function geluKernel(args: KernelArgs): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const y = b.makeOutput([...x.shape], 'float32');
  kernels().gelu(offset(b, x), offset(b, y), count(x));
  return y;
}

/** FinetuneGeluGrad: inputs { dy, x } (float32, one shape), output dx = dy·gelu′(x). */
export function geluGradKernel(args: KernelArgs): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  if (count(dy) !== count(x)) throw new Error(`${GELU_GRAD_KERNEL}: dy [${dy.shape}] and x [${x.shape}] differ in size`);
  const dx = b.makeOutput([...x.shape], 'float32');
  kernels().geluGrad(offset(b, dy), offset(b, x), offset(b, dx), count(x));
  return dx;
}

/** FinetuneSumSquares: inputs { x } (float32), output the scalar Σ x² (accumulated in double precision). */
export function sumSquaresKernel(args: KernelArgs): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const total = kernels().sumSquares(offset(b, x), count(x));
  return b.makeOutput([], 'float32', undefined, new Float32Array([total]));
}

/** FinetuneDropout: inputs { x } (float32), attrs { rate, seed, rows }: x times lib/rng.ts's mask, rowDropoutMask of
 *  x's rows at batch positions `rows`, or dropoutMask over all of x where `rows` is empty. */
export function dropoutKernel(args: KernelArgs): tf.TensorInfo {
  const b = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const { rate, seed, rows } = args.attrs as unknown as { rate: number; seed: number; rows: number[] };
  const n = count(x);
  const per = rows.length ? n / rows.length : n;
  if (!Number.isInteger(per)) throw new Error(`${DROPOUT_KERNEL}: ${n} entries do not split into ${rows.length} rows`);
  const y = b.makeOutput([...x.shape], 'float32');
  const { threshold, keep } = dropoutConstants(rate);
  const [xo, yo] = [offset(b, x), offset(b, y)];
  const k = kernels();
  if (!rows.length) k.dropout(xo, yo, n, seed >>> 0, threshold, keep);
  else rows.forEach((row, r) => k.dropout(xo + r * per * 4, yo + r * per * 4, per, rowSeed(seed, row), threshold, keep));
  return y;
}

/** 4·k + 3 inputs (so the JavaScript tail runs too) over [−9, 9]: both tails, the centre, and where exp underflows. */
function geluInput(): Float32Array {
  const r = rand(203, 31);
  return r.map((v, i) => (i % 3 === 0 ? v * 9 : v * 3));
}

export function testGelu(impl: KernelFn, sc: Scratch): string | null {
  const xv = geluInput();
  const got = sc.run(impl, { x: sc.input([xv.length], xv) });
  const want = tf.tidy(() => geluOps(tf.tensor1d(xv)).dataSync());
  return differs('gelu', got[0], { shape: [xv.length], dtype: 'float32', values: want }, TOL);
}

export function testGeluGrad(impl: KernelFn, sc: Scratch): string | null {
  const xv = geluInput();
  const dyv = rand(xv.length, 32);
  const got = sc.run(impl, { dy: sc.input([xv.length], dyv), x: sc.input([xv.length], xv) });
  const want = tf.tidy(() => tf.grad(geluOps)(tf.tensor1d(xv), tf.tensor1d(dyv)).dataSync());
  return first(
    () => (got.length === 1 ? null : `${got.length} outputs, expected 1`),
    () => differs('gelu gradient', got[0], { shape: [xv.length], dtype: 'float32', values: want }, TOL),
  );
}

export function testSumSquares(impl: KernelFn, sc: Scratch): string | null {
  const xv = rand(4_099, 33);
  const got = sc.run(impl, { x: sc.input([17, 241], xv.slice(0, 17 * 241)) });
  const want = tf.tidy(() => tf.sum(tf.square(tf.tensor1d(xv.slice(0, 17 * 241)))).dataSync());
  return differs('sum of squares', got[0], { shape: [], dtype: 'float32', values: want }, TOL);
}

/** Against x times the mask lib/rng.ts builds, exactly: one mask over all of x, and by batch rows. */
export function testDropout(impl: KernelFn, sc: Scratch): string | null {
  const xv = rand(3 * 37, 34);
  const x = sc.input([3, 37], xv);
  const cases: [string, number, number[]][] = [
    ['one mask', 0.1, []],
    ['by rows', 0.3, [4, 0, 7]],
  ];
  return first(
    ...cases.map(([what, rate, rows]) => () => {
      const seed = 2 ** 32 + 12345; // seeds past 2^32 wrap as dropoutMask's do
      const got = sc.run(impl, { x }, { rate, seed, rows });
      const mask = rows.length ? rowDropoutMask(xv.length, rows, rate, seed) : dropoutMask(xv.length, rate, seed);
      const want = Float32Array.from(xv, (v, i) => v * mask[i]);
      return differs(`dropout, ${what}`, got[0], { shape: [3, 37], dtype: 'float32', values: want }, 0);
    }),
  );
}
