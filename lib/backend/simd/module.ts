// The SIMD kernels (kernels.wat) instantiated on a tfjs wasm backend's own memory, so they read and write tensors where
// they lie, with no copy. Pointers are byte offsets into the memory. The element-wise wrappers run the wasm function
// over the first n − n % 4 elements and finish the last n % 4 here in JavaScript with the same formulas (the GELU
// twins below); the row-wise ones (LayerNorm, row sums, transpose) take widths that are multiples of 4 only, and their
// callers (lib/backend/wasm-kernels.ts, wasm-copy-kernels.ts) keep JavaScript loops for other widths.
import type { AdamStepConstants } from '../wasm-checks';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './kernels-wasm';

export interface SimdKernels {
  /** y = gelu(x) (erf form), n float32 elements */
  gelu(x: number, y: number, n: number): void;
  /** dx = dy · gelu′(x) */
  geluGrad(dy: number, x: number, dx: number, n: number): void;
  /** y = gelu(z) and d = gelu′(z) for z = x + b over rows of c floats (b a row of c, c a multiple of 4), or z = x over
   *  all rows·c floats (b null, any count) */
  geluD(x: number, b: number | null, y: number, d: number, rows: number, c: number): void;
  /** dx = s·y·(dy − Σ dy·y) over each row of c floats */
  softmaxGrad(dy: number, y: number, dx: number, rows: number, c: number, s: number): void;
  /** one Adam/AdamW step in place on parameter p, moments m and v, from gradient g */
  adam(p: number, m: number, v: number, g: number, n: number, c: AdamStepConstants): void;
  /** avg = d·avg + (1 − d)·p in place */
  average(avg: number, p: number, n: number, d: number): void;
  /** Σ x², accumulated in double precision */
  sumSquares(x: number, n: number): number;
  /** LayerNorm over n rows of h floats, h a multiple of 4 (lib/backend/wasm-kernels.ts has the same loops in
   *  JavaScript for other widths), in double precision: writes y and each row's mean and 1/std */
  layerNorm(x: number, g: number, b: number, y: number, mean: number, rstd: number, n: number, h: number, eps: number): void;
  /** LayerNorm's backward: dx, and dgamma and dbeta summed over the rows in double precision in `scratch` (16·h bytes) */
  layerNormGrad(
    ...args: [
      dy: number,
      x: number,
      g: number,
      mean: number,
      rstd: number,
      dx: number,
      dg: number,
      db: number,
      n: number,
      h: number,
      scratch: number,
    ]
  ): void;
  /** rows copies of rowBytes bytes, from src + i·srcStride to dst + i·dstStride */
  copyRows(src: number, dst: number, rows: number, rowBytes: number, srcStride: number, dstStride: number): void;
  /** out = Σ over the r rows of x [r, c], c a multiple of 4, in double precision in `scratch` (8·c bytes) */
  sumRows(x: number, out: number, r: number, c: number, scratch: number): void;
  /** dst [c, r] = srcᵀ for src [r, c], both multiples of 4 */
  transpose(src: number, dst: number, r: number, c: number): void;
  /** y = x·mask over n floats, the mask lib/rng.ts dropoutMask(n, rate, seed) with its threshold and keep scale */
  dropout(x: number, y: number, n: number, seed: number, threshold: number, keep: number): void;
}

interface Exports {
  gelu(x: number, y: number, n4: number): void;
  gelu_grad(dy: number, x: number, dx: number, n4: number): void;
  gelu_d(x: number, b: number, y: number, d: number, rows: number, c: number, bias: number): void;
  softmax_grad(dy: number, y: number, dx: number, rows: number, c: number, s: number): void;
  adam(p: number, m: number, v: number, g: number, n4: number, ...consts: number[]): void;
  average(avg: number, p: number, n4: number, d: number, e: number): void;
  sumsq(x: number, n4: number): number;
  layer_norm(...args: number[]): void;
  copy_rows(...args: number[]): void;
  dropout(...args: number[]): void;
  transpose(src: number, dst: number, r: number, c: number): void;
  sum_rows(x: number, out: number, r: number, c: number, acc: number): void;
  layer_norm_grad(...args: number[]): void;
}

const made = new WeakMap<WebAssembly.Memory, SimdKernels | string>();

/** The kernels on `memory`, or why they cannot run there (no WebAssembly SIMD, a memory the module cannot import). */
export function simdKernels(memory: unknown): SimdKernels | string {
  if (!(memory instanceof WebAssembly.Memory)) return 'the wasm backend exposes no WebAssembly.Memory';
  let k = made.get(memory);
  if (!k) {
    k = instantiate(memory);
    made.set(memory, k);
  }
  return k;
}

function instantiate(memory: WebAssembly.Memory): SimdKernels | string {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const base64 = shared ? SHARED_MEMORY_WASM : PLAIN_MEMORY_WASM;
  let ex: Exports;
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as Exports;
  } catch (e) {
    return `WebAssembly SIMD: ${e instanceof Error ? e.message : String(e)}`;
  }
  const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
  /** the elements after the last whole group of four: their count and byte offset */
  const tail = (n: number) => [n & 3, (n - (n & 3)) * 4] as const;
  return {
    gelu(x, y, n) {
      ex.gelu(x, y, n >> 2);
      const [r, o] = tail(n);
      if (!r) return;
      const [xs, ys] = [f32(x + o, r), f32(y + o, r)];
      for (let i = 0; i < r; i++) ys[i] = geluScalar(xs[i]);
    },
    geluGrad(dy, x, dx, n) {
      ex.gelu_grad(dy, x, dx, n >> 2);
      const [r, o] = tail(n);
      if (!r) return;
      const [dys, xs, dxs] = [f32(dy + o, r), f32(x + o, r), f32(dx + o, r)];
      for (let i = 0; i < r; i++) dxs[i] = dys[i] * geluGradScalar(xs[i]);
    },
    geluD(x, b, y, d, rows, c) {
      if (b !== null) {
        if (c % 4) throw new Error(`SIMD GELU with a bias needs a row width divisible by 4, not ${c}`);
        ex.gelu_d(x, b, y, d, rows, c, 1);
        return;
      }
      const n = rows * c;
      ex.gelu_d(x, 0, y, d, 1, n & ~3, 0);
      const [r, o] = tail(n);
      if (!r) return;
      const [xs, ys, ds] = [f32(x + o, r), f32(y + o, r), f32(d + o, r)];
      for (let i = 0; i < r; i++) [ys[i], ds[i]] = [geluScalar(xs[i]), geluGradScalar(xs[i])];
    },
    softmaxGrad(dy, y, dx, rows, c, s) {
      ex.softmax_grad(dy, y, dx, rows, c, s);
    },
    adam(p, m, v, g, n, c) {
      const k = [c.gradScale, c.l2, c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2, 1 / c.sqrtBc2, c.epsilon, c.stepSize, c.decay];
      ex.adam(p, m, v, g, n >> 2, ...k);
      const [r, o] = tail(n);
      if (!r) return;
      const [ps, ms, vs, gs] = [f32(p + o, r), f32(m + o, r), f32(v + o, r), f32(g + o, r)];
      for (let i = 0; i < r; i++) {
        const gi = gs[i] * k[0] + ps[i] * k[1];
        ms[i] = ms[i] * k[2] + gi * k[3];
        vs[i] = vs[i] * k[4] + gi * gi * k[5];
        ps[i] = ps[i] * k[9] - (ms[i] / (Math.sqrt(vs[i]) * k[6] + k[7])) * k[8];
      }
    },
    average(avg, p, n, d) {
      ex.average(avg, p, n >> 2, d, 1 - d);
      const [r, o] = tail(n);
      if (!r) return;
      const [as, ps] = [f32(avg + o, r), f32(p + o, r)];
      for (let i = 0; i < r; i++) as[i] = as[i] * d + ps[i] * (1 - d);
    },
    layerNorm(...args) {
      if (args[7] % 4) throw new Error(`SIMD LayerNorm needs a row width divisible by 4, not ${args[7]}`);
      ex.layer_norm(...args);
    },
    layerNormGrad(...args) {
      if (args[9] % 4) throw new Error(`SIMD LayerNorm needs a row width divisible by 4, not ${args[9]}`);
      ex.layer_norm_grad(...args);
    },
    dropout(x, y, n, seed, threshold, keep) {
      ex.dropout(x, y, n, seed | 0, threshold | 0, keep);
    },
    transpose(src, dst, r, c) {
      if (r % 4 || c % 4) throw new Error(`SIMD transpose needs dimensions divisible by 4, not [${r}, ${c}]`);
      ex.transpose(src, dst, r, c);
    },
    copyRows(...args) {
      ex.copy_rows(...args);
    },
    sumRows(x, out, r, c, scratch) {
      if (c % 4) throw new Error(`SIMD row sums need a row width divisible by 4, not ${c}`);
      ex.sum_rows(x, out, r, c, scratch);
    },
    sumSquares(x, n) {
      let s = ex.sumsq(x, n >> 2);
      const [r, o] = tail(n);
      const xs = f32(x + o, r);
      for (let i = 0; i < r; i++) s += xs[i] * xs[i];
      return s;
    },
  };
}

/** Φ(x) and exp(−x²/2) as the SIMD kernel computes them (Abramowitz & Stegun 7.1.26 for erf, |error| ≤ 1.5e-7). */
function phiAndE(x: number): [number, number] {
  const a = Math.abs(x) * Math.SQRT1_2;
  const t = 1 / (1 + 0.3275911 * a);
  const e = Math.exp(-a * a);
  const half = 0.5 * t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * e;
  return [x < 0 ? half : 1 - half, e];
}

/** gelu(x) = x·Φ(x) */
export function geluScalar(x: number): number {
  return x * phiAndE(x)[0];
}

/** gelu′(x) = Φ(x) + x·exp(−x²/2)/√(2π) */
export function geluGradScalar(x: number): number {
  const [phi, e] = phiAndE(x);
  return phi + x * e * 0.3989422804014327;
}
