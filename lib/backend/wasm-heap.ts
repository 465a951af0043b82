// What the engine's wasm kernels share (lib/backend/wasm-kernels.ts installs them; wasm-copy-kernels.ts holds the ones
// that move data): the stock kernels they fall back to, which engine kernels are installed, the SIMD module on the
// backend's memory, and helpers to reach tensors on the heap. Nothing outside lib/backend imports it.
import * as tf from '@tensorflow/tfjs';
import type { EngineKernel } from './kernel-status';
import type { SimdKernels } from './simd/module';
import type { KernelFn, WasmBackend } from './wasm-checks';

export const state = {
  /** the stock tfjs kernels as registered before the engine's (the engine's fall back to them outside their cases) */
  stock: new Map<string, tf.KernelConfig>(),
  /** the engine kernels in use */
  installed: new Set<EngineKernel>(),
  /** the SIMD module on the wasm backend's memory while the kernels are installed (null: the JavaScript loops and
   *  stock kernels stand in) */
  simd: null as SimdKernels | null,
};

export const stockFn = (name: string) => state.stock.get(name)!.kernelFunc as unknown as KernelFn;

export const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
export const sameDims = (x: number[], y: number[]) => x.length === y.length && x.every((d, i) => d === y[i]);

/** Float32Array views of float32 tensors on the heap (take them after the last allocation). */
export function heapViews(backend: WasmBackend, ...ts: tf.TensorInfo[]): Float32Array[] {
  const buf = backend.wasm.HEAPU8.buffer;
  return ts.map((t) => new Float32Array(buf, backend.dataIdMap.get(t.dataId).memoryOffset, size(t.shape)));
}

/** The tensors' byte offsets on the heap, for the SIMD module's functions. */
export function offsets<T extends tf.TensorInfo[]>(backend: WasmBackend, ...ts: T): { [K in keyof T]: number } {
  return ts.map((t) => backend.dataIdMap.get(t.dataId).memoryOffset) as { [K in keyof T]: number };
}

/** Throws a clear error where an index is not a row of a table with `rows` rows. */
export function checkRows(ids: ArrayLike<number>, rows: number, kernel: string): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!(v >= 0 && v <= rows - 1)) throw new Error(`${kernel}: the index value ${v} is not in [0, ${rows - 1}]`);
  }
}

export const fourByte = (t: tf.TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32';
