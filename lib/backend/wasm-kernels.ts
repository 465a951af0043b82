// Faster wasm-backend kernels for the ops that dominate a training step after the matmuls themselves.
//
// BatchMatMul: // tfjs-backend-wasm 4.22 hands a matmul to XNNPACK's fully-connected operator only when both operands have batch
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
// It relies on tfjs-backend-wasm internals (`dataIdMap`, `dataIdNextNumber`, `wasm.tfjs.registerTensor`,
// `_BatchMatMul`), pinned by package.json to 4.22.0; `installWasmMatMul` checks they exist and leaves the stock
// kernel in place otherwise.
import * as tf from '@tensorflow/tfjs';

interface WasmModule {
  _BatchMatMul: (aId: number, aShape: number, aLen: number, bId: number, bShape: number, bLen: number, tA: number, tB: number, outId: number) => void;
  _malloc: (bytes: number) => number;
  _free: (ptr: number) => void;
  HEAP32: Int32Array;
  HEAPU8: Uint8Array;
  tfjs: { registerTensor: (id: number, size: number, offset: number) => void; disposeData: (id: number) => void };
}
interface TensorData {
  id: number;
  memoryOffset: number;
}
interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: unknown): TensorData };
  readSync(dataId: unknown): tf.TypedArray;
  refCount(dataId: unknown): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: unknown): boolean;
}

type KernelFn = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

let stock: KernelFn | null = null;
let stockGather: KernelFn | null = null;
let transposeKernel: KernelFn | null = null;
let stockScatter: KernelFn | null = null;
let stockSlice: KernelFn | null = null;

function materialiseTranspose(x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return transposeFast({ inputs: { x }, backend, attrs: { perm } });
}

let stockSum: KernelFn | null = null;

/** Sum over the first axis of a 2-D float32 matrix (a bias gradient: dy summed over tokens) as one pass over its rows;
 *  the stock kernel transposes the whole matrix first. Every other reduction by the stock kernel. */
function sumRows(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.shape.length : a));
  if (x.shape.length !== 2 || axes.length !== 1 || axes[0] !== 0 || x.dtype !== 'float32') return stockSum!(args) as tf.TensorInfo;
  const [r, c] = x.shape;
  const out = backend.makeOutput(keepDims ? [1, c] : [c], 'float32');
  const [src, dst] = heapViews(backend, x, out);
  const acc = new Float64Array(c);
  for (let i = 0, o = 0; i < r; i++, o += c) for (let j = 0; j < c; j++) acc[j] += src[o + j];
  dst.set(acc);
  return out;
}

/** Transpose: a 2-D float32 matrix (a weight gradient's [tokens, features] operand) in 32 × 32 tiles here, every
 *  other case by the stock kernel (2.3 ms for [2048, 128] in its generic strided loop). */
function transposeFast(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const perm = (args.attrs as { perm: number[] }).perm;
  if (x.shape.length !== 2 || perm[0] !== 1 || x.dtype !== 'float32') return transposeKernel!(args) as tf.TensorInfo;
  const [r, c] = x.shape;
  const out = backend.makeOutput([c, r], 'float32');
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

function slice(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (!fourByte(x) || x.shape.length === 0) return stockSlice!(args) as tf.TensorInfo;
  const { begin, size: sz } = args.attrs as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, sz);
  return sliceOnHeap(args.backend as WasmBackend, x, b, s);
}

function splitV(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const x = args.inputs.x as tf.TensorInfo;
  const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const sz = [...x.shape];
    sz[ax] = s;
    const part = fourByte(x) ? sliceOnHeap(args.backend as WasmBackend, x, begin, sz) : (stockSlice!({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size: sz } }) as tf.TensorInfo);
    begin[ax] += s;
    return part;
  });
}

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  let a = args.inputs.a as tf.TensorInfo;
  let b = args.inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock!(args) as tf.TensorInfo;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  // Broadcasting other than "same outer dims" or "one side has none" stays with the stock kernel.
  if (!(sameDims(outerA, outerB) || batchA === 1 || batchB === 1)) return stock!(args) as tf.TensorInfo;
  const temps: tf.TensorInfo[] = [];
  if (transposeA) temps.push((a = materialiseTranspose(a, backend)));
  if (transposeB) temps.push((b = materialiseTranspose(b, backend)));
  const M = a.shape[a.shape.length - 2];
  const K = a.shape[a.shape.length - 1];
  const N = b.shape[b.shape.length - 1];
  if (b.shape[b.shape.length - 2] !== K) {
    temps.forEach((t) => backend.disposeData(t.dataId));
    throw new Error(`Error in matMul: inner shapes (${K}) and (${b.shape[b.shape.length - 2]}) of Tensors with shapes ${args.inputs.a!.shape} and ${args.inputs.b!.shape} and transposeA=${Boolean(transposeA)} and transposeB=${Boolean(transposeB)} must match.`);
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

function gatherV2(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const indices = args.inputs.indices as tf.TensorInfo;
  const { axis, batchDims } = (args.attrs ?? {}) as { axis: number; batchDims: number };
  const parsedAxis = axis < 0 ? axis + x.shape.length : axis;
  if (parsedAxis !== 0 || (batchDims ?? 0) !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length < 1) return stockGather!(args) as tf.TensorInfo;
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

function scatterNd(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const indices = args.inputs.indices as tf.TensorInfo;
  const updates = args.inputs.updates as tf.TensorInfo;
  const { shape } = (args.attrs ?? {}) as { shape: number[] };
  const n = indices.shape[0];
  const row = size(shape.slice(1));
  if (indices.shape.length !== 2 || indices.shape[1] !== 1 || updates.dtype !== 'float32' || updates.shape[0] !== n || size(updates.shape) !== n * row) return stockScatter!(args) as tf.TensorInfo;
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
function layerNorm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const eps = (args.attrs as { eps: number }).eps;
  const [n, h] = x.shape;
  const y = backend.makeOutput([n, h], 'float32');
  const mean = backend.makeOutput([n], 'float32');
  const rstd = backend.makeOutput([n], 'float32');
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
function layerNormGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { dy, x, gamma, mean, rstd } = args.inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>;
  const [n, h] = x.shape;
  const dx = backend.makeOutput([n, h], 'float32');
  const dgamma = backend.makeOutput([h], 'float32');
  const dbeta = backend.makeOutput([h], 'float32');
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

/** Replaces the wasm backend's BatchMatMul, GatherV2, ScatterNd, Sum, Transpose, Slice and SplitV kernels with the ones above and adds the
 *  LayerNorm ones. Returns false (and changes nothing) when the backend's internals are not what these kernels
 *  expect. Idempotent. */
export function installWasmKernels(): boolean {
  if (stock) return true;
  const config = tf.getKernel('BatchMatMul', 'wasm');
  const gather = tf.getKernel('GatherV2', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  const scatter = tf.getKernel('ScatterNd', 'wasm');
  const sliceK = tf.getKernel('Slice', 'wasm');
  const splitK = tf.getKernel('SplitV', 'wasm');
  const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
  const wasm = backend?.wasm;
  if (!config || !transpose || !gather || !scatter || !sliceK || !splitK || !backend || !wasm || typeof wasm._BatchMatMul !== 'function' || typeof wasm.tfjs?.registerTensor !== 'function' || typeof backend.dataIdNextNumber !== 'number' || !backend.dataIdMap) return false;
  stock = config.kernelFunc as unknown as KernelFn;
  transposeKernel = transpose.kernelFunc as unknown as KernelFn;
  const sum = tf.getKernel('Sum', 'wasm')!;
  stockSum = sum.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel('Sum', 'wasm');
  tf.registerKernel({ ...sum, kernelFunc: sumRows as unknown as tf.KernelFunc });
  tf.unregisterKernel('Transpose', 'wasm');
  tf.registerKernel({ ...transpose, kernelFunc: transposeFast as unknown as tf.KernelFunc });
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...config, kernelFunc: batchMatMul as unknown as tf.KernelFunc });
  stockGather = gather.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ ...gather, kernelFunc: gatherV2 as unknown as tf.KernelFunc });
  stockScatter = scatter.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel('ScatterNd', 'wasm');
  tf.registerKernel({ ...scatter, kernelFunc: scatterNd as unknown as tf.KernelFunc });
  stockSlice = sliceK.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({ ...sliceK, kernelFunc: slice as unknown as tf.KernelFunc });
  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({ ...splitK, kernelFunc: splitV as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: LAYER_NORM_KERNEL, backendName: 'wasm', kernelFunc: layerNorm as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: LAYER_NORM_GRAD_KERNEL, backendName: 'wasm', kernelFunc: layerNormGrad as unknown as tf.KernelFunc });
  return true;
}

/**
 * A Float32Array over a float32 tensor's memory on the wasm heap, or null where that is not available or (with
 * `owned`, for updating it in place, as the fused optimizer step does) not safe: another backend, the engine kernels
 * not installed (the stock BatchMatMul caches a packed copy of each weight tensor and would go on using the old
 * values), another dtype, or memory shared with another live tensor (e.g. a reshape of it). The view is valid until
 * the next allocation on the heap.
 */
export function heapF32(t: tf.Tensor, opts: { owned: boolean }): Float32Array | null {
  if (!stock || t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmBackend;
  if (opts.owned && backend.refCount(t.dataId) !== 1) return null;
  const off = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPU8.buffer, off, t.size);
}
