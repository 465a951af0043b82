// What the engine's wasm kernels (lib/backend/wasm-kernels.ts) rely on, and how each is checked before it is installed.
//
// Internals: the kernels reach into tfjs-backend-wasm (its tensor table, its heap, its `_BatchMatMul` export) and a
// few tfjs-core helpers. INTERNALS names each one with a check; a kernel whose internals are not all there is not
// installed. The last check, "tensor memory layout", writes a tensor through the backend and reads it back through
// the heap (and the reverse), so a change in what `memoryOffset` means is caught too.
//
// Self-tests: each kernel runs on small random inputs against tfjs's stock kernel of the same name (or, for the fused
// LayerNorm and the in-place steps, a plain-JS double-precision reference) and must agree within a tolerance (exactly
// for the kernels that only copy). Each test returns null when it passes, else the reason, which the status reports.
import * as tf from '@tensorflow/tfjs';

export interface WasmModule {
  _BatchMatMul: (
    aId: number,
    aShape: number,
    aLen: number,
    bId: number,
    bShape: number,
    bLen: number,
    tA: number,
    tB: number,
    outId: number,
  ) => void;
  _malloc: (bytes: number) => number;
  _free: (ptr: number) => void;
  HEAP32: Int32Array;
  HEAPU8: Uint8Array;
  /** the module's exports: the single-threaded build exports its memory here */
  asm?: { memory?: unknown };
  /** the threaded build's memory (created in JavaScript, shared) */
  wasmMemory?: unknown;
  tfjs: { registerTensor: (id: number, size: number, offset: number) => void; disposeData: (id: number) => void };
}
export interface TensorData {
  id: number;
  memoryOffset: number;
}
export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: unknown): TensorData };
  readSync(dataId: unknown): tf.TypedArray;
  refCount(dataId: unknown): number;
  incRef(dataId: unknown): void;
  /** with `values`, a new tensor holding a copy of them */
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.TypedArray): tf.TensorInfo;
  disposeData(dataId: unknown): boolean;
}

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}
export type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The constants of one Adam/AdamW step (see lib/train/optimizer.ts). */
export interface AdamStepConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** lr / (1 − beta1^t) */
  stepSize: number;
  /** sqrt(1 − beta2^t) */
  sqrtBc2: number;
  gradScale: number;
  /** Adam's L2 term added to the gradient (0 for AdamW) */
  l2: number;
  /** AdamW's decoupled decay factor 1 - lr·wd (1 for Adam) */
  decay: number;
}
/** Updates p, m and v in place from gradient g; false (nothing done) where that is not possible for these tensors. */
export type AdamStepFn = (p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, c: AdamStepConstants) => boolean;
/** avg = d·avg + (1 − d)·p in place; false (nothing done) where that is not possible for these tensors. */
export type AverageFn = (avg: tf.Tensor, p: tf.Tensor, d: number) => boolean;

const isFn = (f: unknown) => typeof f === 'function';

/** The backend's WebAssembly.Memory (the one its heap views), or null. */
export function wasmMemoryOf(b: WasmBackend): WebAssembly.Memory | null {
  const m = b.wasm?.asm?.memory ?? b.wasm?.wasmMemory;
  return m instanceof WebAssembly.Memory && m.buffer === b.wasm.HEAPU8?.buffer ? m : null;
}

/** Each tfjs internal the kernels use, with a check that it is there and behaves as they expect. */
export const INTERNALS = {
  'wasm.HEAPU8': (b: WasmBackend) => b.wasm?.HEAPU8 instanceof Uint8Array,
  'wasm.HEAP32': (b: WasmBackend) => b.wasm?.HEAP32 instanceof Int32Array,
  'wasm._malloc': (b: WasmBackend) => isFn(b.wasm?._malloc),
  'wasm._free': (b: WasmBackend) => isFn(b.wasm?._free),
  'wasm._BatchMatMul': (b: WasmBackend) => isFn(b.wasm?._BatchMatMul),
  'wasm.tfjs.registerTensor': (b: WasmBackend) => isFn(b.wasm?.tfjs?.registerTensor),
  'wasm.tfjs.disposeData': (b: WasmBackend) => isFn(b.wasm?.tfjs?.disposeData),
  'backend.dataIdMap': (b: WasmBackend) => isFn(b.dataIdMap?.get),
  'backend.dataIdNextNumber': (b: WasmBackend) => Number.isInteger(b.dataIdNextNumber),
  'backend.makeOutput': (b: WasmBackend) => isFn(b.makeOutput),
  'backend.readSync': (b: WasmBackend) => isFn(b.readSync),
  'backend.disposeData': (b: WasmBackend) => isFn(b.disposeData),
  'backend.refCount': (b: WasmBackend) => isFn(b.refCount),
  'backend.incRef': (b: WasmBackend) => isFn(b.incRef),
  'wasm memory': (b: WasmBackend) => wasmMemoryOf(b) !== null,
  'tf.slice_util.parseSliceParams': () => isFn(tf.slice_util?.parseSliceParams),
  'tf.util.parseAxisParam': () => isFn(tf.util?.parseAxisParam),
  'tf.backend_util.prepareSplitSize': () => isFn(tf.backend_util?.prepareSplitSize),
  'tf.backend_util.computeOutShape': () => isFn(tf.backend_util?.computeOutShape),
  'tensor memory layout': memoryLayoutHolds,
} satisfies Record<string, (b: WasmBackend) => boolean>;
export type Internal = keyof typeof INTERNALS;

/** makeOutput's tensor sits at dataIdMap's memoryOffset on the heap, with an integer id: written through one side,
 *  read back through the other. */
function memoryLayoutHolds(b: WasmBackend): boolean {
  const before = ['wasm.HEAPU8', 'backend.dataIdMap', 'backend.makeOutput', 'backend.readSync', 'backend.disposeData'] as const;
  if (!before.every((k) => INTERNALS[k](b))) return false;
  const t = b.makeOutput([3], 'float32', undefined, new Float32Array([1.5, -2, 3]));
  try {
    const d = b.dataIdMap.get(t.dataId);
    if (!Number.isInteger(d?.id) || !Number.isInteger(d?.memoryOffset) || d.memoryOffset % 4 !== 0) return false;
    const heap = new Float32Array(b.wasm.HEAPU8.buffer, d.memoryOffset, 3);
    if (heap[0] !== 1.5 || heap[1] !== -2) return false;
    heap[2] = 7;
    return b.readSync(t.dataId)[2] === 7;
  } finally {
    b.disposeData(t.dataId);
  }
}

/** The internals in `wanted` that are missing (or listed in `hide`, a test hook), each checked once per call. */
export function missingInternals(b: WasmBackend, wanted: readonly Internal[], hide: readonly string[] = []): Internal[] {
  return wanted.filter((k) => {
    if (hide.includes(k)) return true;
    try {
      return !INTERNALS[k](b);
    } catch {
      return true;
    }
  });
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
const prod = (s: number[]) => s.reduce((p, d) => p * d, 1);

export interface Out {
  shape: number[];
  dtype: tf.DataType;
  values: ArrayLike<number>;
}

/** Compares got against want, element by element: |got − want| ≤ tol · (1 + |want|) (tol 0: bit-equal values). */
export function differs(what: string, got: Out, want: Out, tol: number): string | null {
  if (got.dtype !== want.dtype) return `${what}: dtype ${got.dtype}, expected ${want.dtype}`;
  if (got.shape.join() !== want.shape.join()) return `${what}: shape [${got.shape}], expected [${want.shape}]`;
  for (let i = 0; i < want.values.length; i++) {
    const [g, w] = [got.values[i], want.values[i]];
    if (!(Math.abs(g - w) <= tol * (1 + Math.abs(w))) && !(tol === 0 && Object.is(g, w))) {
      return `${what}: element ${i} is ${g}, expected ${w}${tol ? ` (tolerance ${tol})` : ''}`;
    }
  }
  return null;
}

/** Inputs made on the wasm backend (not tracked by the tfjs engine), kernels run directly, everything freed after. */
export class Scratch {
  private readonly made: tf.TensorInfo[] = [];

  constructor(
    readonly backend: WasmBackend,
    private readonly stock: (kernel: string) => KernelFn,
  ) {}

  input(shape: number[], values: Float32Array | Int32Array, dtype: 'float32' | 'int32' = 'float32'): tf.TensorInfo {
    const t = this.backend.makeOutput(shape, dtype, undefined, values);
    this.made.push(t);
    return t;
  }

  /** Runs a kernel function and returns copies of its outputs (which it frees). */
  run(fn: KernelFn, inputs: tf.NamedTensorInfoMap, attrs: object = {}): Out[] {
    const res = fn({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    const outs = Array.isArray(res) ? res : [res];
    const copies = outs.map((o) => ({ shape: [...o.shape], dtype: o.dtype, values: this.backend.readSync(o.dataId) as ArrayLike<number> }));
    outs.forEach((o) => this.backend.disposeData(o.dataId));
    return copies;
  }

  /** The engine's kernel against the stock kernel `stockName`, every output. */
  vsStock(what: string, impl: KernelFn, stockName: string, inputs: tf.NamedTensorInfoMap, attrs: object, tol: number): string | null {
    const want = this.run(this.stock(stockName), inputs, attrs);
    const got = this.run(impl, inputs, attrs);
    if (got.length !== want.length) return `${what}: ${got.length} outputs, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = differs(`${what}${want.length > 1 ? `, output ${i}` : ''}`, got[i], want[i], tol);
      if (d) return d;
    }
    return null;
  }

  dispose(): void {
    this.made.forEach((t) => this.backend.disposeData(t.dataId));
    this.made.length = 0;
  }
}

export const first = (...checks: (() => string | null)[]) => {
  for (const c of checks) {
    const r = c();
    if (r) return r;
  }
  return null;
};
const f32 = (s: number[], seed: number, sc: Scratch) => sc.input(s, rand(prod(s), seed));
const i32 = (s: number[], v: number[], sc: Scratch) => sc.input(s, Int32Array.from(v), 'int32');
export const TOL = 1e-5;

/** [a shape, b shape, transposeA, transposeB]: every flag, batch and broadcast case the kernel handles itself. */
const MATMUL_CASES: [number[], number[], boolean, boolean][] = [
  [[3, 5], [5, 4], false, false],
  [[5, 3], [5, 4], true, false],
  [[3, 5], [4, 5], false, true],
  [[5, 3], [4, 5], true, true],
  [[2, 3, 5], [2, 5, 4], false, false],
  [[2, 2, 3, 5], [2, 2, 4, 5], false, true],
  [[2, 2, 5, 3], [2, 2, 5, 4], true, false],
  [[2, 3, 5], [5, 4], false, false],
  [[3, 5], [2, 5, 4], false, false],
];

export function testBatchMatMul(impl: KernelFn, sc: Scratch): string | null {
  return first(
    ...MATMUL_CASES.map(([sa, sb, tA, tB], i) => () => {
      const [a, b] = [f32(sa, 10 + i, sc), f32(sb, 20 + i, sc)];
      const what = `[${sa}]·[${sb}]${tA ? ' transposeA' : ''}${tB ? ' transposeB' : ''}`;
      return sc.vsStock(what, impl, 'BatchMatMul', { a, b }, { transposeA: tA, transposeB: tB }, TOL);
    }),
  );
}

export function testGatherV2(impl: KernelFn, sc: Scratch): string | null {
  const indices = i32([3, 2], [5, 0, 2, 2, 0, 5], sc);
  const rows = { axis: 0, batchDims: 0 };
  return first(
    () => sc.vsStock('float32 rows', impl, 'GatherV2', { x: f32([6, 4], 1, sc), indices }, rows, 0),
    () => sc.vsStock('int32 rows', impl, 'GatherV2', { x: i32([6, 2], [...Array(12).keys()], sc), indices }, rows, 0),
    () => sc.vsStock('axis 1', impl, 'GatherV2', { x: f32([3, 6, 2], 2, sc), indices }, { axis: 1, batchDims: 0 }, 0),
  );
}

export function testScatterNd(impl: KernelFn, sc: Scratch): string | null {
  return first(
    () => {
      const inputs = { indices: i32([5, 1], [4, 1, 4, 0, 4], sc), updates: f32([5, 3], 3, sc) };
      return sc.vsStock('rows, duplicates summed', impl, 'ScatterNd', inputs, { shape: [6, 3] }, TOL);
    },
    () => {
      const inputs = { indices: i32([2, 2], [1, 0, 0, 1], sc), updates: f32([2], 4, sc) };
      return sc.vsStock('index depth 2', impl, 'ScatterNd', inputs, { shape: [2, 2] }, TOL);
    },
  );
}

/** Identity: the same values, and the input intact (readable, same values) once the output is freed. */
export function testIdentity(impl: KernelFn, sc: Scratch): string | null {
  const xv = rand(37, 41);
  const x = sc.input([37], xv);
  const got = sc.run(impl, { x });
  const want: Out = { shape: [37], dtype: 'float32', values: xv };
  return first(
    () => differs('identity', got[0], want, 0),
    () => differs('input after the output was freed', { ...want, values: sc.backend.readSync(x.dataId) }, want, 0),
  );
}

export function testTranspose(impl: KernelFn, sc: Scratch): string | null {
  return first(
    () => sc.vsStock('[33, 31] float32', impl, 'Transpose', { x: f32([33, 31], 5, sc) }, { perm: [1, 0] }, 0),
    () => sc.vsStock('[36, 20] float32 (SIMD blocks)', impl, 'Transpose', { x: f32([36, 20], 9, sc) }, { perm: [1, 0] }, 0),
    () => sc.vsStock('[3, 5] int32', impl, 'Transpose', { x: i32([3, 5], [...Array(15).keys()], sc) }, { perm: [1, 0] }, 0),
    () => sc.vsStock('[2, 3, 4] perm 0,2,1', impl, 'Transpose', { x: f32([2, 3, 4], 6, sc) }, { perm: [0, 2, 1] }, 0),
  );
}

export function testSum(impl: KernelFn, sc: Scratch): string | null {
  const x = f32([37, 5], 7, sc);
  const x8 = f32([37, 8], 8, sc); // a width divisible by 4: the SIMD module's path
  return first(
    () => sc.vsStock('axis 0', impl, 'Sum', { x }, { axis: [0], keepDims: false }, TOL),
    () => sc.vsStock('axis 0, width 8', impl, 'Sum', { x: x8 }, { axis: [0], keepDims: false }, TOL),
    () => sc.vsStock('axis -2, keepDims', impl, 'Sum', { x }, { axis: -2, keepDims: true }, TOL),
    () => sc.vsStock('axis 1', impl, 'Sum', { x }, { axis: [1], keepDims: false }, TOL),
  );
}

export function testSlice(impl: KernelFn, sc: Scratch): string | null {
  return first(
    () => sc.vsStock('[3, 4, 5] float32', impl, 'Slice', { x: f32([3, 4, 5], 8, sc) }, { begin: [1, 1, 2], size: [2, 3, -1] }, 0),
    () => sc.vsStock('[6, 9] int32', impl, 'Slice', { x: i32([6, 9], [...Array(54).keys()], sc) }, { begin: [1, 3], size: [4, 3] }, 0),
    () => sc.vsStock('contiguous rows', impl, 'Slice', { x: f32([6, 9], 9, sc) }, { begin: [2, 0], size: [3, 9] }, 0),
  );
}

export function testSplitV(impl: KernelFn, sc: Scratch): string | null {
  const x = f32([6, 12], 11, sc);
  return first(
    () => sc.vsStock('3 equal parts, axis 1', impl, 'SplitV', { x }, { numOrSizeSplits: 3, axis: 1 }, 0),
    () => sc.vsStock('sizes 1,2,3, axis 0', impl, 'SplitV', { x }, { numOrSizeSplits: [1, 2, 3], axis: 0 }, 0),
  );
}

export function testConcat(impl: KernelFn, sc: Scratch): string | null {
  const [a, b, c] = [f32([3, 5], 17, sc), f32([3, 2], 18, sc), f32([3, 4], 19, sc)];
  const [p, q] = [i32([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], sc), i32([2, 2, 1], [-1, -2, -3, -4], sc)];
  const [r, e] = [f32([2, 5], 20, sc), f32([0, 5], 21, sc)];
  return first(
    () => sc.vsStock('float32, axis 1', impl, 'Concat', [a, b, c] as unknown as tf.NamedTensorInfoMap, { axis: 1 }, 0),
    () => sc.vsStock('float32, axis 0 with an empty part', impl, 'Concat', [a, e, r] as unknown as tf.NamedTensorInfoMap, { axis: 0 }, 0),
    () => sc.vsStock('int32, axis -1 of rank 3', impl, 'Concat', [p, q] as unknown as tf.NamedTensorInfoMap, { axis: -1 }, 0),
  );
}

/** LayerNorm of x [n, h] in double precision: y, mean, rstd (1 / sqrt(biased variance + eps)). */
function layerNormRef(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, n: number, h: number, eps: number) {
  const y = new Float32Array(n * h),
    mean = new Float32Array(n),
    rstd = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const row = Array.from({ length: h }, (_, j) => x[r * h + j]);
    const mu = row.reduce((s, v) => s + v, 0) / h;
    const rs = 1 / Math.sqrt(row.reduce((s, v) => s + (v - mu) ** 2, 0) / h + eps);
    row.forEach((v, j) => (y[r * h + j] = (v - mu) * rs * g[j] + b[j]));
    mean[r] = mu;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

/** row widths 7 (the JavaScript loop) and 12 (a multiple of 4: the SIMD module's path) */
const LN_CASES = [
  { n: 5, h: 7, eps: 1e-5 },
  { n: 6, h: 12, eps: 1e-12 },
];
/** x with a different offset and spread per row, as activations have */
const lnInput = (n: number, h: number) => rand(n * h, 12).map((v, i) => v * (1 + (i % 3)) + Math.floor(i / h) * 0.5);
const lnOut = (shape: number[], values: ArrayLike<number>): Out => ({ shape, dtype: 'float32', values });

export function testLayerNorm(impl: KernelFn, sc: Scratch): string | null {
  return first(
    ...LN_CASES.map(({ n, h, eps }) => () => {
      const xv = lnInput(n, h),
        gv = rand(h, 13),
        bv = rand(h, 14);
      const got = sc.run(impl, { x: sc.input([n, h], xv), gamma: sc.input([h], gv), beta: sc.input([h], bv) }, { eps });
      const want = layerNormRef(xv, gv, bv, n, h, eps);
      if (got.length !== 3) return `${got.length} outputs, expected 3 (y, mean, rstd)`;
      return first(
        () => differs(`y (width ${h})`, got[0], lnOut([n, h], want.y), TOL),
        () => differs(`mean (width ${h})`, got[1], lnOut([n], want.mean), TOL),
        () => differs(`rstd (width ${h})`, got[2], lnOut([n], want.rstd), TOL),
      );
    }),
  );
}

export function testLayerNormGrad(impl: KernelFn, sc: Scratch): string | null {
  return first(
    ...LN_CASES.map(
      ({ n, h, eps }) =>
        () =>
          layerNormGradCase(impl, sc, n, h, eps),
    ),
  );
}

function layerNormGradCase(impl: KernelFn, sc: Scratch, n: number, h: number, eps: number): string | null {
  const xv = lnInput(n, h),
    gv = rand(h, 15),
    dyv = rand(n * h, 16);
  const { mean, rstd } = layerNormRef(xv, gv, new Float32Array(h), n, h, eps);
  const dx = new Float32Array(n * h),
    dg = new Float64Array(h),
    db = new Float64Array(h);
  for (let r = 0; r < n; r++) {
    const xh = Array.from({ length: h }, (_, j) => (xv[r * h + j] - mean[r]) * rstd[r]);
    const gg = xh.map((_, j) => dyv[r * h + j] * gv[j]);
    const mG = gg.reduce((s, v) => s + v, 0) / h;
    const mGX = gg.reduce((s, v, j) => s + v * xh[j], 0) / h;
    gg.forEach((v, j) => (dx[r * h + j] = rstd[r] * (v - mG - xh[j] * mGX)));
    xh.forEach((v, j) => ((dg[j] += dyv[r * h + j] * v), (db[j] += dyv[r * h + j])));
  }
  const inputs = {
    dy: sc.input([n, h], dyv),
    x: sc.input([n, h], xv),
    gamma: sc.input([h], gv),
    mean: sc.input([n], mean),
    rstd: sc.input([n], rstd),
  };
  const got = sc.run(impl, inputs);
  if (got.length !== 3) return `${got.length} outputs, expected 3 (dx, dgamma, dbeta)`;
  return first(
    () => differs(`dx (width ${h})`, got[0], lnOut([n, h], dx), TOL),
    () => differs(`dgamma (width ${h})`, got[1], lnOut([h], dg), TOL),
    () => differs(`dbeta (width ${h})`, got[2], lnOut([h], db), TOL),
  );
}

/** A float32 variable as the optimizer makes one: its own memory (refcount 1). */
const ownedVariable = (v: Float32Array, shape: number[]) => tf.tidy(() => tf.variable(tf.tensor(v, shape), false, undefined, 'float32'));

/**
 * Two steps (AdamW, then Adam with L2 and a gradient scale) against PyTorch's formula in double precision, on
 * variables that a matmul has used before the step: the product after it must see the new weights (XNNPACK caches a
 * packed copy of a right operand per tensor id, which the engine's BatchMatMul never reuses).
 */
export function testAdamStep(step: AdamStepFn): string | null {
  const [r, c] = [4, 6];
  const p0 = rand(r * c, 21),
    m0 = rand(r * c, 22).map((v) => v * 0.1),
    v0 = rand(r * c, 23).map((v) => v * v * 0.01);
  const g0 = rand(r * c, 24),
    x0 = rand(3 * r, 25);
  const p = ownedVariable(p0, [r, c]),
    m = ownedVariable(m0, [r, c]),
    v = ownedVariable(v0, [r, c]);
  const g = tf.tensor(g0, [r, c]),
    x = tf.tensor(x0, [3, r]);
  try {
    tf.matMul(x, p).dispose();
    const [pw, mw, vw] = [Float32Array.from(p0), Float32Array.from(m0), Float32Array.from(v0)];
    const steps: AdamStepConstants[] = [
      // AdamW at step 1 (lr 0.01, weight decay 0.05), then Adam at step 2 (lr 0.02, L2 0.1) with half the gradient
      { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 0.01 / 0.1, sqrtBc2: Math.sqrt(0.001), gradScale: 1, l2: 0, decay: 0.9995 },
      { beta1: 0.8, beta2: 0.99, epsilon: 1e-6, stepSize: 0.02 / 0.36, sqrtBc2: Math.sqrt(0.0199), gradScale: 0.5, l2: 0.1, decay: 1 },
    ];
    for (const [k, s] of steps.entries()) {
      if (!step(p, m, v, g, s)) return `step ${k + 1}: declined variables it owns`;
      for (let i = 0; i < pw.length; i++) {
        const gi = g0[i] * s.gradScale + pw[i] * s.l2;
        const mi = s.beta1 * mw[i] + (1 - s.beta1) * gi;
        const vi = s.beta2 * vw[i] + (1 - s.beta2) * gi * gi;
        [mw[i], vw[i]] = [mi, vi];
        pw[i] = pw[i] * s.decay - s.stepSize * (mi / (Math.sqrt(vi) / s.sqrtBc2 + s.epsilon));
      }
      const d = first(
        () => differs(`step ${k + 1}, parameter`, read(p), { shape: [r, c], dtype: 'float32', values: pw }, 1e-6),
        () => differs(`step ${k + 1}, first moment`, read(m), { shape: [r, c], dtype: 'float32', values: mw }, 1e-6),
        () => differs(`step ${k + 1}, second moment`, read(v), { shape: [r, c], dtype: 'float32', values: vw }, 1e-6),
      );
      if (d) return d;
    }
    const y = tf.tidy(() => tf.matMul(x, p));
    const got = read(y);
    y.dispose();
    const want = Float64Array.from({ length: 3 * c }, (_, i) => {
      let s = 0;
      for (let k = 0; k < r; k++) s += x0[Math.floor(i / c) * r + k] * pw[k * c + (i % c)];
      return s;
    });
    return differs('a matmul after the step', got, { shape: [3, c], dtype: 'float32', values: want }, TOL);
  } finally {
    tf.dispose([p, m, v, g, x]);
  }
}

/** Two updates against the formula in double precision. */
export function testAverage(average: AverageFn): string | null {
  const shape = [3, 5];
  const a0 = rand(15, 31),
    p0 = rand(15, 32);
  const avg = ownedVariable(a0, shape),
    p = ownedVariable(p0, shape);
  try {
    const want = Float32Array.from(a0);
    for (const [k, d] of [0.5, 0.9].entries()) {
      if (!average(avg, p, d)) return `update ${k + 1}: declined a variable it owns`;
      for (let i = 0; i < want.length; i++) want[i] = want[i] * d + p0[i] * (1 - d);
      const r = differs(`update ${k + 1}`, read(avg), { shape, dtype: 'float32', values: want }, 1e-6);
      if (r) return r;
    }
    return null;
  } finally {
    tf.dispose([avg, p]);
  }
}

const read = (t: tf.Tensor): Out => ({ shape: [...t.shape], dtype: t.dtype, values: t.dataSync() });
