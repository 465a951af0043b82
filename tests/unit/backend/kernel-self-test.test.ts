// The engine's wasm kernels are each checked at start (lib/backend/wasm-checks.ts): on the supported tfjs (4.22.0)
// every one passes and is installed; one whose self-test fails, or whose tfjs internal is missing, is left out, the
// stock kernel (or the plain tensor ops) stays, results stay correct, and the status says why.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '@/lib/backend/init';
import { describeKernels, ENGINE_KERNELS, type EngineKernel, type KernelStatus } from '@/lib/backend/kernel-status';
import { fusedLayerNorm, heapView, inPlaceAdamStep, inPlaceAverage } from '@/lib/backend/fast-paths';
import { installWasmKernels, uninstallWasmKernels, wasmKernelStatus, type InstallOptions } from '@/lib/backend/wasm-kernels';
import type { AdamStepFn, KernelFn, WasmBackend } from '@/lib/backend/wasm-checks';
import { layerNormOp } from '@/lib/models/layers';
import { AdamOptimizer } from '@/lib/train/optimizer';
import { WeightAverage } from '@/lib/train/ema';

/** the stock tfjs kernels the engine replaces */
const REPLACED = ['BatchMatMul', 'GatherV2', 'ScatterNd', 'Transpose', 'Sum', 'Slice', 'SplitV'] as const;
const stockFns = new Map<string, tf.KernelFunc>();
const engineFns = new Map<string, tf.KernelFunc>();
const kernelFn = (name: string) => tf.getKernel(name, 'wasm')?.kernelFunc;
let atInit: KernelStatus;

beforeAll(async () => {
  atInit = (await initBackend({ preference: 'wasm' })).kernels!;
  for (const k of REPLACED) engineFns.set(k, kernelFn(k)!);
  uninstallWasmKernels();
  for (const k of REPLACED) stockFns.set(k, kernelFn(k)!);
  installWasmKernels();
});

/** Starts over with the given test hooks. */
function reinstall(opts: InstallOptions): KernelStatus {
  uninstallWasmKernels();
  return installWasmKernels(opts);
}

afterEach(() => {
  reinstall({});
});

const reasonOf = (s: KernelStatus, k: EngineKernel) => s.skipped.find((x) => x.kernel === k)?.reason;

describe('on the supported tfjs version every engine kernel passes its self-test', () => {
  it('runs tfjs 4.22.0 (core and wasm backend), and the self-test takes under 200 ms', () => {
    expect(tf.version_core).toBe('4.22.0');
    expect(version_wasm).toBe('4.22.0');
    expect(atInit.skipped).toEqual([]);
    expect(atInit.total).toBe(ENGINE_KERNELS.length);
    expect(atInit.selfTestMs).toBeLessThan(200);
    expect(describeKernels(atInit)).toMatch(/^engine kernels: 19 of 19 installed \(self-test passed in \d+ ms\)$/);
  });

  it.each(ENGINE_KERNELS)('%s is installed after init', (k) => {
    expect(atInit.installed).toContain(k);
    expect(wasmKernelStatus()!.installed).toContain(k);
    if ((REPLACED as readonly string[]).includes(k)) {
      expect(kernelFn(k)).toBe(engineFns.get(k));
      expect(kernelFn(k)).not.toBe(stockFns.get(k));
    } else if (k.startsWith('FinetuneLayerNorm')) {
      expect(kernelFn(k)).toBeDefined();
      expect(fusedLayerNorm()).not.toBeNull();
    } else {
      expect(k === 'InPlaceAdamStep' ? inPlaceAdamStep() : inPlaceAverage()).not.toBeNull();
    }
  });

  it('leaves no tensor and no wasm memory behind', () => {
    const backend = tf.findBackend('wasm') as unknown as { numDataIds(): number };
    const [tensors, ids] = [tf.memory().numTensors, backend.numDataIds()];
    reinstall({});
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
  });

  it('initBackend reports the status, and puts the stock kernels back when asked to', async () => {
    const info = await initBackend({ preference: 'wasm', fastWasmKernels: false });
    expect(info.kernels).toBeNull();
    expect(info.fastKernels).toBe(false);
    expect(kernelFn('BatchMatMul')).toBe(stockFns.get('BatchMatMul'));
    expect(fusedLayerNorm()).toBeNull();
    expect(inPlaceAdamStep()).toBeNull();
    const again = await initBackend({ preference: 'wasm' });
    expect(again.fastKernels).toBe(true);
    expect(again.kernels!.installed).toEqual([...ENGINE_KERNELS]);
  });
});

/** Deterministic pseudo-random floats in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** The stock GatherV2 with its first output element off by one. */
const brokenGather: KernelFn = (args) => {
  const b = args.backend as WasmBackend;
  const out = stockFns.get('GatherV2')!(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const data = b.readSync(out.dataId);
  data[0] += 1;
  b.disposeData(out.dataId);
  return b.makeOutput([...out.shape], out.dtype, undefined, data);
};

describe('a kernel that fails its self-test is not installed', () => {
  it('GatherV2 giving a wrong element: the stock GatherV2 stays, gathers stay correct, the reason is reported', async () => {
    const s = reinstall({ replace: { GatherV2: brokenGather } });
    expect(s.installed).not.toContain('GatherV2');
    expect(s.installed).toHaveLength(ENGINE_KERNELS.length - 1);
    expect(reasonOf(s, 'GatherV2')).toMatch(/^self-test: float32 rows: element 0 is .*, expected /);
    expect(kernelFn('GatherV2')).toBe(stockFns.get('GatherV2'));
    const table = values(6 * 4, 1);
    const got = tf.tidy(() => tf.gather(tf.tensor2d(table, [6, 4]), tf.tensor1d([5, 0, 2], 'int32')));
    expect(Array.from(got.dataSync())).toEqual([5, 0, 2].flatMap((r) => Array.from(table.slice(r * 4, r * 4 + 4))));
    got.dispose();
    // what Settings shows (initBackend returns the status of the kernels in place)
    const info = await initBackend({ preference: 'wasm' });
    expect(info.kernels).toBe(s);
    const line = /^engine kernels: 18 of 19 installed \(self-test \d+ ms\); not installed: GatherV2 \(self-test: float32 rows: /;
    expect(describeKernels(info.kernels!)).toMatch(line);
  });

  it('a kernel whose self-test throws (Transpose) is left out with the error; matmuls with transposes stay correct', () => {
    const s = reinstall({
      replace: {
        Transpose: () => {
          throw new Error('boom');
        },
      },
    });
    expect(reasonOf(s, 'Transpose')).toBe('self-test threw: boom');
    expect(kernelFn('Transpose')).toBe(stockFns.get('Transpose'));
    expect(s.installed).toContain('BatchMatMul'); // which then materialises transposes with the stock kernel
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor2d([1, 0, 2, 0, 1, 3], [2, 3]), true, true));
    // aᵀ = [[1, 3, 5], [2, 4, 6]] · bᵀ = [[1, 0], [0, 1], [2, 3]]
    expect(Array.from(y.dataSync())).toEqual([1 + 10, 3 + 15, 2 + 12, 4 + 18]);
    y.dispose();
  });

  it('LayerNorm backward failing takes the forward with it: layerNormOp falls back to tensor ops, same values', () => {
    const x = tf.tensor2d(values(4 * 6, 2), [4, 6]);
    const [g, b, r] = [tf.tensor1d(values(6, 3)), tf.tensor1d(values(6, 4)), tf.tensor2d(values(4 * 6, 5), [4, 6])];
    const run = () => {
      const y = tf.tidy(() => layerNormOp(x, g, b, 1e-5));
      const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNormOp(a, c, d, 1e-5).mul(r).sum())([x, g, b]);
      const out = [y, ...grads].map((t) => Array.from(t.dataSync()));
      tf.dispose([y, ...grads]);
      return out;
    };
    const fused = run();
    const brokenGrad: KernelFn = () => {
      throw new Error('no backward');
    };
    const s = reinstall({ replace: { FinetuneLayerNormGrad: brokenGrad } });
    expect(reasonOf(s, 'FinetuneLayerNormGrad')).toBe('self-test threw: no backward');
    expect(reasonOf(s, 'FinetuneLayerNorm')).toBe('needs FinetuneLayerNormGrad, which is not installed');
    expect(kernelFn('FinetuneLayerNorm')).toBeUndefined();
    expect(fusedLayerNorm()).toBeNull();
    const ops = run();
    ops.forEach((o, i) => o.forEach((v, j) => expect(Math.abs(v - fused[i][j]), `output ${i}[${j}]`).toBeLessThan(1e-5)));
    tf.dispose([x, g, b, r]);
  });

  it('an in-place Adam step that does not update: left out, the optimizer takes its tensor-op path, same values', () => {
    const lazy: AdamStepFn = () => true;
    const s = reinstall({ replace: { InPlaceAdamStep: lazy } });
    expect(reasonOf(s, 'InPlaceAdamStep')).toMatch(/^self-test: step 1, parameter: element 0 is /);
    expect(inPlaceAdamStep()).toBeNull();
    const make = () => new Map([['w.weight', tf.tidy(() => tf.variable(tf.tensor2d(values(12, 6), [3, 4])))]]);
    const [pa, pb] = [make(), make()];
    const opts = { kind: 'adamw' as const, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const [oa, ob] = [new AdamOptimizer(pa, { ...opts, fused: true }), new AdamOptimizer(pb, { ...opts, fused: false })];
    const grad = tf.tensor2d(values(12, 7), [3, 4]);
    for (let i = 0; i < 3; i++) [oa, ob].forEach((o) => o.apply({ 'w.weight': grad }, 1e-2));
    expect(Array.from(pa.get('w.weight')!.dataSync())).toEqual(Array.from(pb.get('w.weight')!.dataSync()));
    expect(Array.from(pa.get('w.weight')!.dataSync())).not.toEqual(Array.from(values(12, 6)));
    [oa, ob].forEach((o) => o.dispose());
    tf.dispose([grad, ...pa.values(), ...pb.values()]);
  });

  it('a missing tfjs internal (wasm._BatchMatMul): BatchMatMul and the in-place paths that need it are left out', () => {
    const s = reinstall({ hide: ['wasm._BatchMatMul'] });
    expect(reasonOf(s, 'BatchMatMul')).toBe('tfjs-backend-wasm 4.22.0: wasm._BatchMatMul missing or changed');
    expect(reasonOf(s, 'InPlaceAdamStep')).toBe('needs BatchMatMul, which is not installed');
    expect(reasonOf(s, 'InPlaceWeightAverage')).toBe('needs BatchMatMul, which is not installed');
    expect(s.installed).toEqual(ENGINE_KERNELS.filter((k) => !['BatchMatMul', 'InPlaceAdamStep', 'InPlaceWeightAverage'].includes(k)));
    expect(kernelFn('BatchMatMul')).toBe(stockFns.get('BatchMatMul'));
    const w = tf.tidy(() => tf.variable(tf.tensor2d([1, 0, 0, 1], [2, 2])));
    expect(heapView(w, { owned: true })).toBeNull(); // the stock BatchMatMul caches packed weights: no in-place updates
    const avg = new WeightAverage(new Map([['w', w]]), 0.5);
    w.assign(tf.tensor2d([3, 0, 0, 3], [2, 2]));
    avg.update(100); // tensor ops: (1 + 3) / 2
    avg.swap();
    expect(Array.from(w.dataSync())).toEqual([2, 0, 0, 2]);
    const [a, b] = [tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), tf.tensor3d([1, 0, 0, 1, 2, 0, 0, 2], [2, 2, 2])];
    const y = tf.matMul(a, b, false, true);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 10, 12, 14, 16]);
    tf.dispose([w, a, b, y]);
    avg.dispose();
  });

  it('installs nothing while wasm is not the active backend, and the seam offers no fast path there', async () => {
    uninstallWasmKernels();
    await tf.setBackend('cpu');
    try {
      const s = installWasmKernels();
      expect(s.installed).toEqual([]);
      expect(s.skipped.map((k) => k.reason)).toEqual(ENGINE_KERNELS.map(() => 'the wasm backend is not the active backend'));
      const t = tf.tensor1d([1, 2]);
      expect([inPlaceAdamStep(), inPlaceAverage(), fusedLayerNorm(), heapView(t, { owned: false })]).toEqual([null, null, null, null]);
      t.dispose();
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
