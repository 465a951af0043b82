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
// InPlaceAdamStep / InPlaceWeightAverage: the optimizer step and the weight average element by element on the wasm
// heap, in place, in WebAssembly SIMD where the module instantiates on the backend's memory (else a JavaScript loop;
// lib/train/optimizer.ts and ema.ts ask for them through lib/backend/fast-paths.ts).
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
  DROPOUT_KERNEL,
  dropoutKernel,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  geluGradKernel,
  geluKernel,
  simdOf,
  type SimdKernels,
  SUM_SQUARES_KERNEL,
  sumSquaresKernel,
  testDropout,
  testGelu,
  testGeluGrad,
  testSumSquares,
} from './simd-kernels';
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

/** The stock tfjs kernels as registered before the engine's (the engine's fall back to them outside their cases). */
const stockKernels = new Map<string, tf.KernelConfig>();
const stockFn = (name: string) => stockKernels.get(name)!.kernelFunc as unknown as KernelFn;
/** the engine kernels in use */
const installed = new Set<EngineKernel>();
/** the SIMD module on the wasm backend's memory while the kernels are installed (null: the JavaScript loops and stock
 *  kernels stand in), and why it is not there */
let simd: SimdKernels | null = null;
let simdWhyNot = '';

function materialiseTranspose(x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const transpose = installed.has('Transpose') ? transposeFast : stockFn('Transpose');
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** Sum over the first axis of a 2-D float32 matrix (a bias gradient: dy summed over tokens) as one pass over its rows;
 *  the stock kernel transposes the whole matrix first. Every other reduction by the stock kernel. */
function sumRows(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.shape.length : a));
  if (x.shape.length !== 2 || axes.length !== 1 || axes[0] !== 0 || x.dtype !== 'float32') return stockFn('Sum')(args) as tf.TensorInfo;
  const [r, c] = x.shape;
  const out = backend.makeOutput(keepDims ? [1, c] : [c], 'float32');
  if (simd && c % 4 === 0) {
    const scratch = backend.makeOutput([2 * c], 'float32'); // c doubles
    const [xo, oo, so] = offsets(backend, x, out, scratch);
    simd.sumRows(xo, oo, r, c, so);
    backend.disposeData(scratch.dataId);
    return out;
  }
  const [src, dst] = heapViews(backend, x, out);
  const acc = new Float64Array(c);
  for (let i = 0, o = 0; i < r; i++, o += c) for (let j = 0; j < c; j++) acc[j] += src[o + j];
  dst.set(acc);
  return out;
}

/** Identity without a copy: the output shares x's memory (one more reference to it). Strings by the stock kernel. */
function identityShared(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return stockFn('Identity')(args) as tf.TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Transpose: a 2-D float32 matrix (a weight gradient's [tokens, features] operand) here, in 4 × 4 SIMD blocks where
 *  both sides are multiples of 4 (0.3 ms for [1024, 512]) else in 32 × 32 tiles (1.2 ms), every other case by the
 *  stock kernel (2.3 ms for [2048, 128] in its generic strided loop). */
function transposeFast(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const perm = (args.attrs as { perm: number[] }).perm;
  if (x.shape.length !== 2 || perm[0] !== 1 || x.dtype !== 'float32') return stockFn('Transpose')(args) as tf.TensorInfo;
  const [r, c] = x.shape;
  const out = backend.makeOutput([c, r], 'float32');
  if (simd && r % 4 === 0 && c % 4 === 0) {
    simd.transpose(...offsets(backend, x, out), r, c);
    return out;
  }
  const [src, dst] = heapViews(backend, x, out);
  const T = 32;
  for (let i0 = 0; i0 < r; i0 += T) {
    const i1 = Math.min(r, i0 + T);
    for (let j0 = 0; j0 < c; j0 += T) {
      const j1 = Math.min(c, j0 + T);
      for (let j = j0; j < j1; j++) {
        const o = j * r;
        for (let i = i0; i < i1; i++) dst[o + i] = src[i * c + j];
      }
    }
  }
  return out;
}

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
const sameDims = (x: number[], y: number[]) => x.length === y.length && x.every((d, i) => d === y[i]);

/** Float32Array views of float32 tensors on the heap (take them after the last allocation). */
function heapViews(backend: WasmBackend, ...ts: tf.TensorInfo[]): Float32Array[] {
  const buf = backend.wasm.HEAPU8.buffer;
  return ts.map((t) => new Float32Array(buf, backend.dataIdMap.get(t.dataId).memoryOffset, size(t.shape)));
}

/** The tensors' byte offsets on the heap, for the SIMD module's functions. */
function offsets<T extends tf.TensorInfo[]>(backend: WasmBackend, ...ts: T): { [K in keyof T]: number } {
  return ts.map((t) => backend.dataIdMap.get(t.dataId).memoryOffset) as { [K in keyof T]: number };
}

/** Throws a clear error where an index is not a row of a table with `rows` rows. */
function checkRows(ids: ArrayLike<number>, rows: number, kernel: string): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!(v >= 0 && v <= rows - 1)) throw new Error(`${kernel}: the index value ${v} is not in [0, ${rows - 1}]`);
  }
}

/** Copies the block at `begin` of size `sz` of a float32 or int32 tensor into a new tensor, inside wasm memory: one
 *  copyWithin per contiguous innermost run (bit-exact, NaN payloads included). */
function sliceOnHeap(backend: WasmBackend, x: tf.TensorInfo, begin: number[], sz: number[]): tf.TensorInfo {
  const out = backend.makeOutput(sz, x.dtype);
  const n = size(sz);
  if (!n) return out;
  const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
  const src = backend.dataIdMap.get(x.dataId).memoryOffset >> 2;
  let dst = backend.dataIdMap.get(out.dataId).memoryOffset >> 2;
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * x.shape[d + 1];
  const run = sz[rank - 1];
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0); // odometer over every axis but the last
  for (let copied = 0; copied < n; copied += run) {
    let off = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (begin[d] + idx[d]) * strides[d];
    heap.copyWithin(dst, src + off, src + off + run);
    dst += run;
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < sz[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const fourByte = (t: tf.TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32';

function slice(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (!fourByte(x) || x.shape.length === 0) return stockFn('Slice')(args) as tf.TensorInfo;
  const { begin, size: sz } = args.attrs as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, sz);
  return sliceOnHeap(args.backend as WasmBackend, x, b, s);
}

/** Concat of 4-byte tensors along any axis as one row copy per input and outer index (memory.copy in the SIMD
 *  module); the stock kernel makes a typed-array view per row (3,072 of them to join the query, key and value
 *  gradients of 1,024 tokens). Other dtypes, or without the SIMD module, by the stock kernel. */
function concat(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const dtype = inputs[0]?.dtype;
  const plain = Array.isArray(inputs) && fourByte(inputs[0]) && inputs.every((t) => t.dtype === dtype);
  if (!simd || !plain) return stockFn('Concat')(args) as tf.TensorInfo;
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0].shape)[0];
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    axis,
  );
  const out = backend.makeOutput(outShape, dtype);
  const rows = size(outShape.slice(0, axis));
  const outRow = size(outShape.slice(axis)) * 4;
  let at = offsets(backend, out)[0];
  for (const t of inputs) {
    const row = size(t.shape.slice(axis)) * 4;
    if (row) simd.copyRows(offsets(backend, t)[0], at, rows, row, row, outRow);
    at += row;
  }
  return out;
}

function splitV(args: KernelArgs): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const sz = [...x.shape];
    sz[ax] = s;
    const part = fourByte(x)
      ? sliceOnHeap(args.backend as WasmBackend, x, begin, sz)
      : (stockFn('Slice')({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size: sz } }) as tf.TensorInfo);
    begin[ax] += s;
    return part;
  });
}

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

function gatherV2(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const indices = args.inputs.indices as tf.TensorInfo;
  const { axis, batchDims } = (args.attrs ?? {}) as { axis: number; batchDims: number };
  const parsedAxis = axis < 0 ? axis + x.shape.length : axis;
  const rowCopy = parsedAxis === 0 && (batchDims ?? 0) === 0 && (x.dtype === 'float32' || x.dtype === 'int32') && x.shape.length >= 1;
  if (!rowCopy) return stockFn('GatherV2')(args) as tf.TensorInfo;
  const ids = backend.readSync(indices.dataId);
  checkRows(ids, x.shape[0], 'GatherV2');
  const rowBytes = size(x.shape.slice(1)) * 4;
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const heap = backend.wasm.HEAPU8; // read after makeOutput: an allocation may grow (and replace) the heap
  const src = backend.dataIdMap.get(x.dataId).memoryOffset;
  const dst = backend.dataIdMap.get(out.dataId).memoryOffset;
  for (let i = 0; i < ids.length; i++) heap.copyWithin(dst + i * rowBytes, src + ids[i] * rowBytes, src + (ids[i] + 1) * rowBytes);
  return out;
}

function scatterNd(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const indices = args.inputs.indices as tf.TensorInfo;
  const updates = args.inputs.updates as tf.TensorInfo;
  const { shape } = (args.attrs ?? {}) as { shape: number[] };
  const n = indices.shape[0];
  const row = size(shape.slice(1));
  const rowScatter = indices.shape.length === 2 && indices.shape[1] === 1 && updates.dtype === 'float32' && updates.shape[0] === n;
  if (!rowScatter || size(updates.shape) !== n * row) return stockFn('ScatterNd')(args) as tf.TensorInfo;
  const ids = backend.readSync(indices.dataId);
  checkRows(ids, shape[0], 'ScatterNd');
  const out = backend.makeOutput(shape, 'float32');
  const [dst, src] = heapViews(backend, out, updates); // after makeOutput: an allocation may grow (and replace) the heap
  dst.fill(0);
  for (let i = 0; i < n; i++) {
    const o = ids[i] * row;
    const u = i * row;
    for (let j = 0; j < row; j++) dst[o + j] += src[u + j];
  }
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
  if (simd && h % 4 === 0) {
    simd.layerNorm(...offsets(backend, x, gamma, beta, y, mean, rstd), n, h, eps);
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
  if (simd && h % 4 === 0) {
    const scratch = backend.makeOutput([4 * h], 'float32'); // 2·h doubles
    simd.layerNormGrad(...offsets(backend, dy, x, gamma, mean, rstd, dx, dgamma, dbeta), n, h, offsets(backend, scratch)[0]);
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
  if (!installed.has('BatchMatMul') || t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
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
  if (simd && heapF32(g, { owned: false })) {
    const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
    simd.adam(at(p), at(m), at(v), at(g), p.size, c);
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
  if (simd) {
    const at = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
    simd.average(at(avg), at(p), avg.size, d);
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
  tf.registerKernel({ ...stockKernels.get(name)!, kernelFunc: impl as unknown as tf.KernelFunc });
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
    test: (f: KernelFn, sc: Scratch) => (simd ? test(f, sc) : simdWhyNot),
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
 * stock kernels, the LayerNorm and GELU ones are added, and the in-place optimizer step and weight average become available
 * (wasmInPlace). Every other kernel stays stock; the status says which and why. Needs the wasm backend to be the
 * active one. Idempotent: a second call returns the first call's status (uninstallWasmKernels to start over).
 */
export function installWasmKernels(opts: InstallOptions = {}): KernelStatus {
  if (status) return status;
  if (installed.size) uninstallWasmKernels(); // a call that threw half-way: start from the stock kernels
  const t0 = performance.now();
  const skipped: KernelStatus['skipped'] = [];
  const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
  const notRunning = !backend || tf.getBackend() !== 'wasm';
  const specs = SPECS();
  const module = !backend || missingInternals(backend, ['wasm memory'], opts.hide).length ? 'no wasm memory' : simdOf(backend);
  [simd, simdWhyNot] = typeof module === 'string' ? [null, module] : [module, ''];
  stockKernels.clear();
  for (const name of new Set(specs.flatMap((s) => s.stock))) {
    const k = tf.getKernel(name, 'wasm'); // every one before any is replaced
    if (k) stockKernels.set(name, k);
  }
  for (const spec of specs) {
    const impl = opts.replace?.[spec.kernel] ?? spec.impl;
    const why = notRunning ? 'the wasm backend is not the active backend' : whyNot(spec, impl, backend, opts.hide);
    if (why) skipped.push({ kernel: spec.kernel, reason: why });
    else {
      try {
        spec.install(impl);
        installed.add(spec.kernel);
      } catch (e) {
        const [stockKernel, now] = [stockKernels.get(spec.kernel), tf.getKernel(spec.kernel, 'wasm')];
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
    installed: ENGINE_KERNELS.filter((k) => installed.has(k)),
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
  const noStock = spec.stock.filter((k) => !stockKernels.has(k));
  if (noStock.length) return `tfjs has no wasm ${noStock.join(', ')} kernel`;
  const before = (spec.after ?? []).filter((k) => !installed.has(k));
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
  for (const k of installed) {
    if (stockKernels.has(k)) {
      tf.unregisterKernel(k, 'wasm');
      tf.registerKernel(stockKernels.get(k)!);
    } else if ([LAYER_NORM_KERNEL, LAYER_NORM_GRAD_KERNEL, GELU_KERNEL, GELU_GRAD_KERNEL, SUM_SQUARES_KERNEL, DROPOUT_KERNEL].includes(k))
      tf.unregisterKernel(k, 'wasm');
  }
  installed.clear();
  simd = null;
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
