// The WebAssembly SIMD kernels (lib/backend/simd/): the committed module is what kernels.wat compiles to; the fused
// GELU matches the tensor ops forward and backward over the whole float range the models see; the SIMD Adam step and
// weight average match the JavaScript loops; the shared-memory copy runs on a shared memory (tfjs's threaded build);
// and where the module cannot reach the backend's memory the GELU kernels are left out with the reason and the model
// path gives the same values through the tensor ops.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@/lib/backend/init';
import { ENGINE_KERNELS } from '@/lib/backend/kernel-status';
import { fusedDropout, gelu, inPlaceAdamStep, inPlaceAverage } from '@/lib/backend/fast-paths';
import { dropout, resetDropoutCounter } from '@/lib/models/layers';
import { GELU_KERNEL, geluOps } from '@/lib/backend/simd-kernels';
import { geluGradScalar, geluScalar, simdKernels } from '@/lib/backend/simd/module';
import { installWasmKernels, uninstallWasmKernels } from '@/lib/backend/wasm-kernels';

beforeAll(async () => {
  await initBackend({ preference: 'wasm' });
});

afterEach(() => {
  uninstallWasmKernels();
  installWasmKernels();
});

/** n values: most in [−4, 4], every 7th in [−12, 12], and the edges (0, ±tiny, ±large) first */
function inputs(n: number): Float32Array {
  let s = 12345;
  const edges = [0, 1e-30, -1e-30, 40, -40, 1e4, -1e4, 3.4e38, -3.4e38];
  return Float32Array.from({ length: n }, (_, i) => {
    if (i < edges.length) return edges[i];
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 31 - 1;
    return i % 7 === 0 ? u * 12 : u * 4;
  });
}

/** |got − want| ≤ tol·(1 + |want|) for every element, else the first that is not */
function worst(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): string | null {
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) return `element ${i}: ${got[i]} vs ${want[i]}`;
  return null;
}

describe('WebAssembly SIMD kernels', () => {
  it('lib/backend/simd/kernels-wasm.ts is what kernels.wat compiles to', () => {
    expect(() => execFileSync('node', ['scripts/build-simd.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('fused GELU equals the tensor ops forward and backward (1e-5), 40,003 values with a JavaScript tail', () => {
    expect(tf.getKernel(GELU_KERNEL, 'wasm')).toBeDefined();
    const x = tf.tensor2d(inputs(40_003), [40_003, 1]);
    const dy = tf.randomNormal([40_003, 1], 0, 1, 'float32', 7);
    const dyv = dy.dataSync();
    const fused = tf.tidy(() => [gelu(x), tf.grad(gelu)(x, dy)].map((t) => t.dataSync()));
    const ops = tf.tidy(() => [geluOps(x), tf.grad(geluOps)(x, dy)].map((t) => t.dataSync()));
    expect(worst(fused[0], ops[0], 1e-5)).toBeNull();
    // the gradient from ±3.4e38 on: the ops square x/√2 to infinity there; gelu′ is 1 on the right, 0 on the left
    expect(worst(fused[1].slice(9), ops[1].slice(9), 1e-5)).toBeNull();
    expect(
      worst(
        fused[1].slice(0, 9),
        [0.5, 0.5, 0.5, 1, 0, 1, 0, 1, 0].map((d, i) => d * dyv[i]),
        1e-6,
      ),
    ).toBeNull();
    // and the values are GELU's: gelu(0) = 0, gelu(x) = x far right, 0 far left; gelu′(0) = ½
    expect(Array.from(fused[0].slice(0, 9))).toEqual([0, 5e-31, -5e-31, 40, -0, 1e4, -0, 3.4e38, -0].map(Math.fround));
    expect(geluGradScalar(0)).toBeCloseTo(0.5, 7);
    expect(geluScalar(1)).toBeCloseTo(0.8413447460685429, 6);
    tf.dispose([x, dy]);
  });

  it('the SIMD Adam step and weight average match the JavaScript loops (1e-6), 1,003 elements', () => {
    const run = () => {
      const adam = inPlaceAdamStep()!;
      const average = inPlaceAverage()!;
      // variables that own their memory (tf.variable of a kept tensor would share it, and in place is refused then)
      const own = (seed: number, scale: number, positive = false) =>
        tf.tidy(() => {
          const r = tf.randomUniform([1_003], -scale, scale, 'float32', seed);
          return tf.variable(positive ? r.abs() : r);
        });
      const [p, m, vv, avg] = [own(1, 1), own(2, 0.1), own(3, 0.01, true), own(4, 1)];
      const g = tf.randomNormal([1_003], 0, 1, 'float32', 5);
      const c = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 0.1, sqrtBc2: 0.03, gradScale: 0.5, l2: 0.01, decay: 0.999 };
      for (let i = 0; i < 3; i++) {
        expect(adam(p, m, vv, g, c)).toBe(true);
        expect(average(avg, p, 0.9)).toBe(true);
      }
      const out = [p, m, vv, avg].map((t) => t.dataSync().slice());
      tf.dispose([p, m, vv, avg, g]);
      return out;
    };
    const simd = run();
    uninstallWasmKernels();
    const s = installWasmKernels({ hide: ['wasm memory'] });
    // the kernels that need the backend's memory: Concat and the SIMD module's (every added one but LayerNorm's)
    const needMemory = ENGINE_KERNELS.filter((k) => k === 'Concat' || (k.startsWith('Finetune') && !k.startsWith('FinetuneLayerNorm')));
    expect(needMemory).toHaveLength(7);
    expect(s.skipped.map((k) => k.kernel)).toEqual(needMemory);
    expect(s.skipped[0].reason).toBe('tfjs-backend-wasm 4.22.0: wasm memory missing or changed');
    const js = run();
    simd.forEach((a, i) => expect(worst(a, js[i], 1e-6), ['p', 'm', 'v', 'avg'][i]).toBeNull());
    // without the fused kernels, gelu is the tensor ops
    const x = tf.tensor1d(inputs(101));
    expect(Array.from(gelu(x).dataSync())).toEqual(Array.from(geluOps(x).dataSync()));
    x.dispose();
  });

  it("a model's dropout (by batch rows, as shards draw it) gives the mask path's values and gradients exactly", () => {
    const x = tf.tensor3d(inputs(4 * 9 * 6), [4, 9, 6]);
    const run = () => {
      resetDropoutCounter();
      const ctx = { params: new Map(), training: true, seed: 77, rows: [2, 3, 0, 1] };
      const f = (t: tf.Tensor) => dropout(t, 0.25, ctx).square().sum();
      return tf.tidy(() => [dropout(x, 0.25, ctx), tf.grad(f)(x)].map((t) => Array.from(t.dataSync())));
    };
    expect(fusedDropout()).not.toBeNull();
    const fused = run();
    uninstallWasmKernels();
    installWasmKernels({ hide: ['wasm memory'] });
    expect(fusedDropout()).toBeNull();
    const masked = run();
    expect(fused).toEqual(masked);
    expect(fused[0].filter((v) => v === 0).length).toBeGreaterThan(20); // about a quarter of 216 dropped
    x.dispose();
  });

  it('the shared-memory copy runs on a shared WebAssembly.Memory (the threaded build)', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const k = simdKernels(memory);
    if (typeof k === 'string') throw new Error(k);
    const x = new Float32Array(memory.buffer, 64, 7);
    x.set([-3, -1, -0.5, 0, 0.5, 1, 3]);
    k.gelu(64, 256, 7);
    const y = new Float32Array(memory.buffer, 256, 7);
    expect(worst(y, Array.from(x, geluScalar), 1e-6)).toBeNull();
    expect(simdKernels(memory)).toBe(k); // one instance per memory
    expect(simdKernels({})).toBe('the wasm backend exposes no WebAssembly.Memory');
  });
});
