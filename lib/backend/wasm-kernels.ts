// Faster wasm-backend kernels for the ops that dominate a training step after the matmuls themselves.
//
// BatchMatMul: tfjs-backend-wasm 4.22 hands a matmul to XNNPACK's fully-connected operator only when both operands have batch
// size 1 and neither transpose flag is set; every other case (attention's [batch·heads, T, d] products, and every
// gradient of a matmul, which tfjs-core expresses with transpose flags) runs a scalar triple loop 10–40× slower.
// This kernel keeps XNNPACK for all of them: a transposed operand is materialised once with the backend's own
// Transpose kernel, and a batched product is split into per-matrix calls on zero-copy views of the operands'
// wasm memory (each view is registered with the backend's tensor table for the duration of the call, then
// disposed, which also frees the XNNPACK operator cached for it).
//
// GatherV2: the stock kernel computes every element's address in a generic strided loop (~8 ms for 2,048 rows of
// 128 floats, the same for a 512-row and a 30,522-row table); the common embedding case — axis 0, no batch dims —
// is a row copy per index, done here with one memory copy per row.
//
// ScatterNd: the gradient of an embedding lookup scatters [tokens, H] rows into a zero [V, H] table (duplicates add).
// The stock kernel takes ~80 ms for 2,048 rows into bert's 30,522 × 128 table; with one index per row (index depth
// 1, the only case the engine emits) it is a fill and one add loop per row here.
//
// FinetuneLayerNorm / FinetuneLayerNormGrad: LayerNorm over the last axis and its backward, one pass per row each.
// As tensor ops the backward reduces the scale and shift gradients over every row, which the wasm Sum does by
// transposing the whole [rows, H] gradient first (a bert-tiny LayerNorm took ~8.6 ms forward + backward at
// [2048, 128]). layers.ts calls them where they are registered.
//
// Slice / SplitV: the stock Slice copies its whole input out of wasm memory (readSync) before cutting a block from the
// copy, ~10 ms to take one [2048, 128] third of a fused query/key/value product; SplitV is three such slices. Here
// the block is copied inside wasm memory, one contiguous run per innermost row (0.3 ms).
//
// Identity: the stock kernel copies its input; tfjs-core clones (Identity) every tensor it saves for the backward pass,
// so a bert-tiny step copied ~180 tensors (16 ms at batch 32). Here the output shares the input's memory, counted by
// the backend's reference count as Reshape's output is (in-place updates refuse memory with two references).
//
// FinetuneGelu / FinetuneGeluGrad / FinetuneSumSquares / FinetuneDropout: GELU forward and backward in one pass each,
// a gradient's squared norm, and dropout with its mask drawn in the pass, in WebAssembly (lib/backend/simd-kernels.ts).
//
// FinetuneSoftmaxGrad / FinetuneBiasGelu: the backward of attention's scaled, masked softmax, and the feed-forward's
// bias + GELU with the derivative its backward needs, one pass each (lib/backend/fused-kernels.ts).
//
// InPlaceAdamStep / InPlaceWeightAverage: the optimizer step and the weight average element by element on the wasm
// heap, in place, in WebAssembly SIMD where the module instantiates on the backend's memory (else a JavaScript loop;
// lib/train/optimizer.ts and ema.ts ask for them through lib/backend/fast-paths.ts).
//
// The data-movement kernels (Identity, Transpose, Sum, Slice, SplitV, Concat, GatherV2, ScatterNd) are in
// wasm-copy-kernels.ts and what the kernels share (the stock kernels, what is installed, the SIMD module) in
// wasm-heap.ts; this file has the arithmetic ones and the installation.
//
// They rely on tfjs-backend-wasm internals (`dataIdMap`, `dataIdNextNumber`, `wasm.tfjs.registerTensor`,
// `_BatchMatMul`, the heap), pinned by package.json to 4.22.0. `installWasmKernels` checks each internal a kernel uses
// and runs the kernel's self-test (lib/backend/wasm-checks.ts) before installing it; a kernel that fails either is
// left out, the stock kernel (or the plain tensor ops) stays, and the status says why. Nothing outside lib/backend
// imports this file: the engine asks lib/backend/fast-paths.ts.
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { ENGINE_KERNELS, type EngineKernel, type KernelStatus } from './kernel-status';
import {
  concat,
  gatherV2,
  identityShared,
  materialiseTranspose,
  scatterNd,
  slice,
  splitV,
  sumRows,
  transposeFast,
} from './wasm-copy-kernels';
import { heapViews, offsets, sameDims, size, state, stockFn } from './wasm-heap';
import {
  DROPOUT_KERNEL,
  dropoutKernel,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  geluGradKernel,
  geluKernel,
  simdOf,
  SUM_SQUARES_KERNEL,
  sumSquaresKernel,
  testDropout,
  testGelu,
  testGeluGrad,
  testSumSquares,
} from './simd-kernels';
import { BIAS_GELU_KERNEL, biasGeluKernel, SOFTMAX_GRAD_KERNEL, softmaxGradKernel, testBiasGelu, testSoftmaxGrad } from './fused-kernels';
import {
  missingInternals,
  Scratch,
  testAdamStep,
  testAverage,
  testBatchMatMul,
  testConcat,
  testGatherV2,
  testIdentity,
  testLayerNorm,
  testLayerNormGrad,
  testScatterNd,
  testSlice,
  testSplitV,
  testSum,
  testTranspose,
  type AdamStepConstants,
  type AdamStepFn,
  type AverageFn,
  type Internal,
  type KernelArgs,
  type KernelFn,
  type WasmBackend,
} from './wasm-checks';

export type { AdamStepConstants, AdamStepFn, AverageFn };

/** why the SIMD module is not in use (see state.simd) */
let simdWhyNot = '';

function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  let a = args.inputs.a as tf.TensorInfo;
  let b = args.inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockFn('BatchMatMul')(args) as tf.TensorInfo;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  // Broadcasting other than "same outer dims" or "one side has none" stays with the stock kernel.
  if (!(sameDims(outerA, outerB) || batchA === 1 || batchB === 1)) return stockFn('BatchMatMul')(args) as tf.TensorInfo;
  const temps: tf.TensorInfo[] = [];
  if (transposeA) temps.push((a = materialiseTranspose(a, backend)));
  if (transposeB) temps.push((b = materialiseTranspose(b, backend)));
  const M = a.shape[a.shape.length - 2];
  const K = a.shape[a.shape.length - 1];
  const N = b.shape[b.shape.length - 1];
  if (b.shape[b.shape.length - 2] !== K) {
    temps.forEach((t) => backend.disposeData(t.dataId));
    throw new Error(
      `Error in matMul: inner shapes (${K}) and (${b.shape[b.shape.length - 2]}) of Tensors with shapes ` +
        `${args.inputs.a!.shape} and ${args.inputs.b!.shape} and transposeA=${Boolean(transposeA)} ` +
        `and transposeB=${Boolean(transposeB)} must match.`,
    );
  }
  const outOuter = batchA >= batchB ? outerA : outerB;
  const out = backend.makeOutput([...outOuter, M, N], 'float32');
  const wasm = backend.wasm;
  const aData = backend.dataIdMap.get(a.dataId);
  const bData = backend.dataIdMap.get(b.dataId);
  const oData = backend.dataIdMap.get(out.dataId);
  const shapes = wasm._malloc(24);
  const h = shapes >> 2;
  const call = (aId: number, rowsA: number, bId: number, outId: number) => {
    wasm.HEAP32.set([1, rowsA, K, 1, K, N], h);
    wasm._BatchMatMul(aId, shapes, 3, bId, shapes + 12, 3, 0, 0, outId);
  };
  // XNNPACK caches a packed copy of the right operand per tensor id; every call here gets fresh view ids, so a
  // tensor whose memory is updated in place (see ownedHeapF32) is never multiplied with a stale packed copy.
  const views: number[] = [];
  const view = (offset: number, n: number) => {
    const id = backend.dataIdNextNumber++;
    wasm.tfjs.registerTensor(id, n, offset);
    views.push(id);
    return id;
  };
  if (batchB === 1) {
    // a shared right operand (weights): one product over all of a's rows
    call(aData.id, batchA * M, view(bData.memoryOffset, K * N), oData.id);
  } else {
    const batch = Math.max(batchA, batchB);
    for (let g = 0; g < batch; g++) {
      const aId = batchA === 1 ? aData.id : view(aData.memoryOffset + g * M * K * 4, M * K);
      const bId = view(bData.memoryOffset + g * K * N * 4, K * N);
      const oId = view(oData.memoryOffset + g * M * N * 4, M * N);
      call(aId, M, bId, oId);
    }
  }
  views.forEach((id) => wasm.tfjs.disposeData(id));
  wasm._free(shapes);
  temps.forEach((t) => backend.disposeData(t.dataId));
  return out;
}

export const LAYER_NORM_KERNEL = 'FinetuneLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'FinetuneLayerNormGrad';

/** x [N, H], gamma [H], beta [H] -> y [N, H], mean [N], rstd [N] (1/sqrt(var + eps), the biased variance) */
function layerNorm(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const eps = (args.attrs as { eps: number }).eps;
  const [n, h] = x.shape;
  const y = backend.makeOutput([n, h], 'float32');
  const mean = backend.makeOutput([n], 'float32');
  const rstd = backend.makeOutput([n], 'float32');
  if (state.simd && h % 4 === 0) {
    state.simd.layerNorm(...offsets(backend, x, gamma, beta, y, mean, rstd), n, h, eps);
    return [y, mean, rstd];
  }
  const [xv, gv, bv, yv, mv, rv] = heapViews(backend, x, gamma, beta, y, mean, rstd);
  for (let r = 0, o = 0; r < n; r++, o += h) {
    let sum = 0;
    for (let j = 0; j < h; j++) sum += xv[o + j];
    const mu = sum / h;
    let sq = 0;
    for (let j = 0; j < h; j++) {
      const d = xv[o + j] - mu;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / h + eps);
    for (let j = 0; j < h; j++) yv[o + j] = (xv[o + j] - mu) * rs * gv[j] + bv[j];
    mv[r] = mu;
    rv[r] = rs;
  }
  return [y, mean, rstd];
}

/** dy, x [N, H], gamma [H], mean, rstd [N] -> dx [N, H], dgamma [H], dbeta [H] */
function layerNormGrad(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { dy, x, gamma, mean, rstd } = args.inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>;
  const [n, h] = x.shape;
  const dx = backend.makeOutput([n, h], 'float32');
  const dgamma = backend.makeOutput([h], 'float32');
  const dbeta = backend.makeOutput([h], 'float32');
  if (state.simd && h % 4 === 0) {
    const scratch = backend.makeOutput([4 * h], 'float32'); // 2·h doubles
    state.simd.layerNormGrad(...offsets(backend, dy, x, gamma, mean, rstd, dx, dgamma, dbeta), n, h, offsets(backend, scratch)[0]);
    backend.disposeData(scratch.dataId);
    return [dx, dgamma, dbeta];
  }
  const [dyv, xv, gv, mv, rv, dxv, dgv, dbv] = heapViews(backend, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
  const accG = new Float64Array(h);
  const accB = new Float64Array(h);
  const xhat = new Float64Array(h);
  for (let r = 0, o = 0; r < n; r++, o += h) {
    const mu = mv[r];
    const rs = rv[r];
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < h; j++) {
      const xh = (xv[o + j] - mu) * rs;
      const d = dyv[o + j];
      const g = d * gv[j];
      xhat[j] = xh;
      sumG += g;
      sumGX += g * xh;
      accG[j] += d * xh;
      accB[j] += d;
    }
    const mG = sumG / h;
    const mGX = sumGX / h;
    for (let j = 0; j < h; j++) dxv[o + j] = rs * (dyv[o + j] * gv[j] - mG - xhat[j] * mGX);
  }
  dgv.set(accG);
  dbv.set(accB);
  return [dx, dgamma, dbeta];
}

/** The wasm heap's size in bytes (it grows and never shrinks, so this is the thread's peak), or null off wasm. */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  return (tf.backend() as unknown as WasmBackend).wasm?.HEAPU8?.length ?? null;
}

/**
 * A Float32Array over a float32 tensor's memory on the wasm heap, or null where that is not available or (with
 * `owned`, for updating it in place, as the fused optimizer step does) not safe: another backend, the engine's
 * BatchMatMul not installed (the stock one caches a packed copy of each weight tensor and would go on using the old
 * values), another dtype, or memory shared with another live tensor (e.g. a reshape of it). The view is valid until
 * the next allocation on the heap.
 */
export function heapF32(t: tf.Tensor, opts: { owned: boolean }): Float32Array | null {
  if (!state.installed.has('BatchMatMul') || t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackend;
  if (opts.owned && backend.refCount(t.dataId) !== 1) return null;
  const off = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPU8.buffer, off, t.size);
}

/**
 * One Adam/AdamW step element by element in one pass over the parameter, its moments and its gradient, writing in
 * place on the wasm heap (lib/train/optimizer.ts has the same update as tensor ops). Returns false (nothing done)
 * where in-place is not possible (see heapF32). In WebAssembly SIMD (float32, as the op path) where the SIMD module
 * runs on this heap (bert's 3.9 M-entry word-embedding table is updated every step: 20 ms in the JavaScript loop,
 * about 5 in SIMD); else a JavaScript loop in double precision per element, stored as float32 (rounding each
 * intermediate with Math.fround made that loop 3.6× slower).
 */
function adamStepInPlace(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, c: AdamStepConstants): boolean {
  const owned = { owned: true };
  if (!heapF32(p, owned) || !heapF32(m, owned) || !heapF32(v, owned) || g.dtype !== 'float32' || g.size !== p.size) return false;
  const backend = tf.backend() as unknown as WasmBackend;
  if (state.simd && heapF32(g, { owned: false })) {
    const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
    state.simd.adam(at(p), at(m), at(v), at(g), p.size, c);
    return true;
  }
  // views last: no heap allocation happens between taking them and the end of the loop
  const gv = heapF32(g, { owned: false }) ?? (g.dataSync() as Float32Array);
  const pv = heapF32(p, owned)!;
  const mv = heapF32(m, owned)!;
  const vv = heapF32(v, owned)!;
  const { beta1, beta2, epsilon, stepSize, gradScale, l2, decay } = c;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const invSqrtBc2 = 1 / c.sqrtBc2;
  const n = pv.length;
  for (let i = 0; i < n; i++) {
    const pi = pv[i];
    const gi = gv[i] * gradScale + pi * l2;
    const mi = mv[i] * beta1 + gi * a1;
    const vi = vv[i] * beta2 + gi * gi * a2;
    mv[i] = mi;
    vv[i] = vi;
    pv[i] = pi * decay - (mi / (Math.sqrt(vi) * invSqrtBc2 + epsilon)) * stepSize;
  }
  return true;
}

/** avg = d·avg + (1 − d)·p in place on the wasm heap (SIMD where available, else double precision per element);
 *  false where not possible. */
function averageInPlace(avg: tf.Tensor, p: tf.Tensor, d: number): boolean {
  if (!heapF32(avg, { owned: true }) || !heapF32(p, { owned: false })) return false;
  const backend = tf.backend() as unknown as WasmBackend;
  if (state.simd) {
    const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
    state.simd.average(at(avg), at(p), avg.size, d);
    return true;
  }
  const av = heapF32(avg, { owned: true })!;
  const pv = heapF32(p, { owned: false })!;
  const e = 1 - d;
  for (let i = 0; i < av.length; i++) av[i] = av[i] * d + pv[i] * e;
  return true;
}

// ---- installation: internals checked, each kernel self-tested, only those that pass installed ----

const HEAP: Internal[] = [
  'wasm.HEAPU8',
  'backend.dataIdMap',
  'backend.makeOutput',
  'backend.readSync',
  'backend.disposeData',
  'tensor memory layout',
];

interface KernelSpec<F> {
  kernel: EngineKernel;
  impl: F;
  /** tfjs-backend-wasm internals and tfjs-core helpers the kernel uses */
  internals: Internal[];
  /** stock kernels it replaces or falls back to (they must be registered on wasm) */
  stock: string[];
  /** engine kernels that must be installed first */
  after?: EngineKernel[];
  /** null when the kernel agrees with its reference, else what went wrong */
  test(impl: F, scratch: Scratch): string | null;
  install(impl: F): void;
}

/** Replaces a stock kernel with the engine's (same config otherwise). */
const replace = (name: string) => (impl: KernelFn) => {
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...state.stock.get(name)!, kernelFunc: impl as unknown as tf.KernelFunc });
};
/** Adds a kernel that tfjs does not have. */
const add = (name: string) => (impl: KernelFn) =>
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: impl as unknown as tf.KernelFunc });
type Test = KernelSpec<KernelFn>['test'];
const stockSpec = (kernel: EngineKernel, impl: KernelFn, internals: Internal[], test: Test, stock: string[] = [kernel]) =>
  ({ kernel, impl, internals, stock, test, install: replace(kernel) }) as KernelSpec<KernelFn>;
const addSpec = (kernel: EngineKernel, impl: KernelFn, test: Test, after?: EngineKernel[]) =>
  ({ kernel, impl, internals: HEAP, stock: [], after, test, install: add(kernel) }) as KernelSpec<KernelFn>;

/** An added kernel computed by the SIMD module: its reason for not installing is the module's where that fails. */
const simdSpec = (kernel: EngineKernel, impl: KernelFn, test: Test, after?: EngineKernel[]) =>
  ({
    ...addSpec(kernel, impl, test, after),
    internals: [...HEAP, 'wasm memory'],
    test: (f: KernelFn, sc: Scratch) => (state.simd ? test(f, sc) : simdWhyNot),
  }) as KernelSpec<KernelFn>;

/** In the order they are tested and installed: a kernel comes after those it uses. */
const SPECS = (): KernelSpec<unknown>[] =>
  [
    stockSpec('Identity', identityShared, [...HEAP, 'backend.refCount', 'backend.incRef'], testIdentity),
    stockSpec('Transpose', transposeFast, HEAP, testTranspose),
    stockSpec('Sum', sumRows, HEAP, testSum),
    stockSpec('Slice', slice, [...HEAP, 'tf.slice_util.parseSliceParams'], testSlice),
    stockSpec('SplitV', splitV, [...HEAP, 'tf.util.parseAxisParam', 'tf.backend_util.prepareSplitSize'], testSplitV, ['SplitV', 'Slice']),
    stockSpec('GatherV2', gatherV2, HEAP, testGatherV2),
    stockSpec('Concat', concat, [...HEAP, 'wasm memory', 'tf.util.parseAxisParam', 'tf.backend_util.computeOutShape'], testConcat),
    stockSpec('ScatterNd', scatterNd, HEAP, testScatterNd),
    stockSpec(
      'BatchMatMul',
      batchMatMul,
      [
        ...HEAP,
        'wasm.HEAP32',
        'wasm._malloc',
        'wasm._free',
        'wasm._BatchMatMul',
        'wasm.tfjs.registerTensor',
        'wasm.tfjs.disposeData',
        'backend.dataIdNextNumber',
      ],
      testBatchMatMul,
      ['BatchMatMul', 'Transpose'],
    ),
    addSpec(LAYER_NORM_GRAD_KERNEL, layerNormGrad, testLayerNormGrad),
    addSpec(LAYER_NORM_KERNEL, layerNorm, testLayerNorm, [LAYER_NORM_GRAD_KERNEL]), // the fused op needs both directions
    simdSpec(GELU_GRAD_KERNEL, geluGradKernel, testGeluGrad),
    simdSpec(GELU_KERNEL, geluKernel, testGelu, [GELU_GRAD_KERNEL]),
    simdSpec(SUM_SQUARES_KERNEL, sumSquaresKernel, testSumSquares),
    simdSpec(DROPOUT_KERNEL, dropoutKernel, testDropout),
    simdSpec(SOFTMAX_GRAD_KERNEL, softmaxGradKernel, testSoftmaxGrad as Test),
    simdSpec(BIAS_GELU_KERNEL, biasGeluKernel, testBiasGelu as Test),
    // in place is safe only where no stale packed copy of a weight can be used (see heapF32)
    {
      kernel: 'InPlaceAdamStep',
      impl: adamStepInPlace,
      internals: [...HEAP, 'backend.refCount'],
      stock: [],
      after: ['BatchMatMul'],
      test: (f: AdamStepFn) => testAdamStep(f),
      install: (f: AdamStepFn) => (inPlace.adam = f),
    },
    {
      kernel: 'InPlaceWeightAverage',
      impl: averageInPlace,
      internals: [...HEAP, 'backend.refCount'],
      stock: [],
      after: ['BatchMatMul'],
      test: (f: AverageFn) => testAverage(f),
      install: (f: AverageFn) => (inPlace.average = f),
    },
  ] as KernelSpec<unknown>[];

const inPlace: { adam: AdamStepFn | null; average: AverageFn | null } = { adam: null, average: null };
let status: KernelStatus | null = null;

export interface InstallOptions {
  /** Test hook: implementations to self-test (and install if they pass) instead of the engine's own. */
  replace?: Partial<Record<EngineKernel, KernelFn | AdamStepFn | AverageFn>>;
  /** Test hook: internals (names from wasm-checks.ts INTERNALS) to treat as missing. */
  hide?: string[];
}

/**
 * Checks the internals each engine kernel uses, runs each one's self-test (lib/backend/wasm-checks.ts), and installs
 * on the wasm backend those that pass: BatchMatMul, GatherV2, ScatterNd, Sum, Transpose, Slice and SplitV replace the
 * stock kernels, the LayerNorm, GELU, softmax-gradient and bias + GELU ones are added, and the in-place optimizer
 * step and weight average become available (wasmInPlace). Every other kernel stays stock; the status says which and
 * why. Needs the wasm backend to be the active one. Idempotent: a second call returns the first call's status
 * (uninstallWasmKernels to start over).
 */
export function installWasmKernels(opts: InstallOptions = {}): KernelStatus {
  if (status) return status;
  if (state.installed.size) uninstallWasmKernels(); // a call that threw half-way: start from the stock kernels
  const t0 = performance.now();
  const skipped: KernelStatus['skipped'] = [];
  const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
  const notRunning = !backend || tf.getBackend() !== 'wasm';
  const specs = SPECS();
  const module = !backend || missingInternals(backend, ['wasm memory'], opts.hide).length ? 'no wasm memory' : simdOf(backend);
  [state.simd, simdWhyNot] = typeof module === 'string' ? [null, module] : [module, ''];
  state.stock.clear();
  for (const name of new Set(specs.flatMap((s) => s.stock))) {
    const k = tf.getKernel(name, 'wasm'); // every one before any is replaced
    if (k) state.stock.set(name, k);
  }
  for (const spec of specs) {
    const impl = opts.replace?.[spec.kernel] ?? spec.impl;
    const why = notRunning ? 'the wasm backend is not the active backend' : whyNot(spec, impl, backend, opts.hide);
    if (why) skipped.push({ kernel: spec.kernel, reason: why });
    else {
      try {
        spec.install(impl);
        state.installed.add(spec.kernel);
      } catch (e) {
        const [stockKernel, now] = [state.stock.get(spec.kernel), tf.getKernel(spec.kernel, 'wasm')];
        if (stockKernel && now?.kernelFunc !== stockKernel.kernelFunc) {
          if (now) tf.unregisterKernel(spec.kernel, 'wasm');
          tf.registerKernel(stockKernel); // the stock kernel stays
        }
        skipped.push({ kernel: spec.kernel, reason: `registering it failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
  }
  skipped.sort((a, b) => ENGINE_KERNELS.indexOf(a.kernel) - ENGINE_KERNELS.indexOf(b.kernel));
  status = {
    installed: ENGINE_KERNELS.filter((k) => state.installed.has(k)),
    skipped,
    total: ENGINE_KERNELS.length,
    selfTestMs: performance.now() - t0,
  };
  return status;
}

/** Why a kernel cannot be installed (null: it can): a missing internal or stock kernel, a prerequisite not
 *  installed, or its self-test. */
function whyNot(spec: KernelSpec<unknown>, impl: unknown, backend: WasmBackend, hide?: string[]): string | null {
  const missing = missingInternals(backend, spec.internals, hide);
  if (missing.length) return `tfjs-backend-wasm ${version_wasm}: ${missing.join(', ')} missing or changed`;
  const noStock = spec.stock.filter((k) => !state.stock.has(k));
  if (noStock.length) return `tfjs has no wasm ${noStock.join(', ')} kernel`;
  const before = (spec.after ?? []).filter((k) => !state.installed.has(k));
  if (before.length) return `needs ${before.join(', ')}, which is not installed`;
  const scratch = new Scratch(backend, stockFn);
  try {
    const failed = spec.test(impl, scratch);
    if (failed) return `self-test: ${failed}`;
  } catch (e) {
    return `self-test threw: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    scratch.dispose();
  }
  return null;
}

/** Puts every stock kernel back and forgets the status (benchmarks and tests compare the two). */
export function uninstallWasmKernels(): void {
  for (const k of state.installed) {
    if (state.stock.has(k)) {
      tf.unregisterKernel(k, 'wasm');
      tf.registerKernel(state.stock.get(k)!);
    } else if (tf.getKernel(k, 'wasm')) tf.unregisterKernel(k, 'wasm'); // one the engine added (no stock kernel)
  }
  state.installed.clear();
  state.simd = null;
  inPlace.adam = inPlace.average = null;
  status = null;
}

/** What installWasmKernels did, or null before it ran (or after uninstallWasmKernels). */
export function wasmKernelStatus(): KernelStatus | null {
  return status;
}

/** The in-place optimizer step and weight average where installed (and wasm is the active backend), else null. */
export function wasmInPlace(): { adam: AdamStepFn | null; average: AverageFn | null } {
  return tf.getBackend() === 'wasm' ? inPlace : NONE;
}
const NONE = { adam: null, average: null };
