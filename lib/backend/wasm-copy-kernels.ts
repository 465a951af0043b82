// The engine's wasm kernels that move or reduce data without arithmetic beyond sums: Identity without a copy, Transpose,
// first-axis Sum, Slice, SplitV and Concat inside wasm memory, GatherV2 and ScatterNd by rows (why each: the header of
// lib/backend/wasm-kernels.ts, which installs them after their self-tests). Each falls back to the stock kernel
// outside its cases, and uses the SIMD module where it is installed.
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, WasmBackend } from './wasm-checks';
import { checkRows, fourByte, heapViews, offsets, size, state, stockFn } from './wasm-heap';

export function materialiseTranspose(x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const transpose = state.installed.has('Transpose') ? transposeFast : stockFn('Transpose');
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** Sum over the first axis of a 2-D float32 matrix (a bias gradient: dy summed over tokens) as one pass over its rows;
 *  the stock kernel transposes the whole matrix first. Every other reduction by the stock kernel. */
export function sumRows(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + x.shape.length : a));
  if (x.shape.length !== 2 || axes.length !== 1 || axes[0] !== 0 || x.dtype !== 'float32') return stockFn('Sum')(args) as tf.TensorInfo;
  const [r, c] = x.shape;
  const out = backend.makeOutput(keepDims ? [1, c] : [c], 'float32');
  if (state.simd && c % 4 === 0) {
    const scratch = backend.makeOutput([2 * c], 'float32'); // c doubles
    const [xo, oo, so] = offsets(backend, x, out, scratch);
    state.simd.sumRows(xo, oo, r, c, so);
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
export function identityShared(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return stockFn('Identity')(args) as tf.TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Transpose: a 2-D float32 matrix (a weight gradient's [tokens, features] operand) here, in 4 × 4 SIMD blocks where
 *  both sides are multiples of 4 (0.3 ms for [1024, 512]) else in 32 × 32 tiles (1.2 ms), every other case by the
 *  stock kernel (2.3 ms for [2048, 128] in its generic strided loop). */
export function transposeFast(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const perm = (args.attrs as { perm: number[] }).perm;
  if (x.shape.length !== 2 || perm[0] !== 1 || x.dtype !== 'float32') return stockFn('Transpose')(args) as tf.TensorInfo;
  const [r, c] = x.shape;
  const out = backend.makeOutput([c, r], 'float32');
  if (state.simd && r % 4 === 0 && c % 4 === 0) {
    state.simd.transpose(...offsets(backend, x, out), r, c);
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

export function slice(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (!fourByte(x) || x.shape.length === 0) return stockFn('Slice')(args) as tf.TensorInfo;
  const { begin, size: sz } = args.attrs as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, sz);
  return sliceOnHeap(args.backend as WasmBackend, x, b, s);
}

/** Concat of 4-byte tensors along any axis as one row copy per input and outer index (memory.copy in the SIMD
 *  module); the stock kernel makes a typed-array view per row (3,072 of them to join the query, key and value
 *  gradients of 1,024 tokens). Other dtypes, or without the SIMD module, by the stock kernel. */
export function concat(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const dtype = inputs[0]?.dtype;
  const plain = Array.isArray(inputs) && fourByte(inputs[0]) && inputs.every((t) => t.dtype === dtype);
  if (!state.simd || !plain) return stockFn('Concat')(args) as tf.TensorInfo;
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
    if (row) state.simd.copyRows(offsets(backend, t)[0], at, rows, row, row, outRow);
    at += row;
  }
  return out;
}

export function splitV(args: KernelArgs): tf.TensorInfo[] {
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

export function gatherV2(args: KernelArgs): tf.TensorInfo {
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

export function scatterNd(args: KernelArgs): tf.TensorInfo {
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
