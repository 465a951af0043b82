// The fused attention-softmax backward and the feed-forward's bias + GELU (lib/backend/fused-kernels.ts): the model
// paths that use them (layers.ts `multiHeadAttention`, `linearGelu`) give the tensor ops' values and gradients, the
// fused kernels are the ones that run (a profile of the step), and one that fails its self-test is left out with the
// model path falling back to the same values.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@/lib/backend/init';
import { maskedSoftmax } from '@/lib/backend/fast-paths';
import { BIAS_GELU_KERNEL, SOFTMAX_GRAD_KERNEL, softmaxOps } from '@/lib/backend/fused-kernels';
import { geluOps } from '@/lib/backend/simd-kernels';
import { simdKernels } from '@/lib/backend/simd/module';
import { installWasmKernels, uninstallWasmKernels } from '@/lib/backend/wasm-kernels';
import type { KernelArgs } from '@/lib/backend/wasm-checks';
import { linearGelu, type LayerContext, type LoraAdapter } from '@/lib/models/layers';

beforeAll(async () => {
  await initBackend({ preference: 'wasm' });
});

afterEach(() => {
  uninstallWasmKernels();
  installWasmKernels();
});

/** |got − want| ≤ tol·(1 + |want|) for every element, else the first that is not */
function worst(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): string | null {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) return `element ${i}: ${got[i]} vs ${want[i]}`;
  return null;
}

/** The kernels a function runs, by name. */
async function kernelsOf(f: () => unknown): Promise<string[]> {
  const p = await tf.profile(() => {
    tf.dispose(f() as tf.Tensor[]);
  });
  return p.kernels.map((k) => k.name);
}

/** A Linear "ffn" of `out` × `inn` with a bias (and a LoRA adapter when asked), and an input [2, 5, inn]. */
function ffn(inn: number, out: number, lora = false) {
  const params = new Map<string, tf.Variable>([
    ['ffn.weight', tf.variable(tf.randomNormal([out, inn], 0, 0.5, 'float32', 1))],
    ['ffn.bias', tf.variable(tf.randomNormal([out], 0, 0.5, 'float32', 2))],
  ]);
  const adapters = new Map<string, LoraAdapter>();
  if (lora)
    adapters.set('ffn', {
      A: tf.variable(tf.randomNormal([2, inn], 0, 0.5, 'float32', 3)),
      B: tf.variable(tf.randomNormal([out, 2], 0, 0.5, 'float32', 4)),
      scale: 2,
      dropout: 0,
    });
  const ctx: LayerContext = { params, training: true, ...(lora ? { lora: adapters } : {}) };
  const x = tf.randomNormal([2, 5, inn], 0, 2, 'float32', 5);
  const dy = tf.randomNormal([2, 5, out], 0, 1, 'float32', 6);
  const vars = [...params.values(), ...[...adapters.values()].flatMap((a) => [a.A, a.B])];
  /** gelu(x·Wᵀ + b (+ LoRA)) as plain tensor ops */
  const reference = (xi: tf.Tensor) => {
    const x2 = xi.reshape([-1, inn]);
    let h = x2.matMul(params.get('ffn.weight')!, false, true).add(params.get('ffn.bias')!);
    const a = adapters.get('ffn');
    if (a) h = h.add(x2.matMul(a.A, false, true).matMul(a.B, false, true).mul(a.scale));
    return geluOps(h).reshape([2, 5, out]);
  };
  /** the output, then the gradients of Σ dy·f(x) for x and every variable */
  const run = (f: (xi: tf.Tensor) => tf.Tensor) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => f(x).mul(dy).sum() as tf.Scalar, vars);
      const dx = tf.grad((xi: tf.Tensor) => f(xi).mul(dy).sum())(x);
      return [f(x), dx, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
    });
  const dispose = () => tf.dispose([x, dy, ...vars]);
  return { ctx, x, reference, run, dispose };
}

describe('the feed-forward bias + GELU kernel', () => {
  it('linearGelu in training equals gelu(x·Wᵀ + b) as tensor ops, forward and every gradient (1e-5), in one fused pass', async () => {
    const { ctx, x, reference, run, dispose } = ffn(12, 8);
    const got = run((xi) => linearGelu(ctx, 'ffn', xi));
    const want = run(reference);
    got.forEach((g, i) => expect(worst(g, want[i], 1e-5), ['y', 'dx', 'dW', 'db'][i]).toBeNull());
    const ran = await kernelsOf(() => tf.grad((xi: tf.Tensor) => linearGelu(ctx, 'ffn', xi).sum())(x));
    expect(ran).toContain(BIAS_GELU_KERNEL);
    expect(ran).not.toContain('FinetuneGelu'); // nor the bias's own Add pass
    expect(ran).not.toContain('FinetuneGeluGrad'); // the backward multiplies by the kept derivative
    // in inference the plain GELU kernel (no derivative written), the same values
    const inference = tf.tidy(() => Array.from(linearGelu({ ...ctx, training: false }, 'ffn', x).dataSync()));
    expect(worst(inference, want[0], 1e-5)).toBeNull();
    expect(await kernelsOf(() => linearGelu({ ...ctx, training: false }, 'ffn', x))).toContain('FinetuneGelu');
    dispose();
  });

  it('a width that is not a multiple of 4, and a LoRA adapter: GELU with its derivative after the sum, same values', async () => {
    for (const [out, lora] of [
      [7, false],
      [8, true],
    ] as const) {
      const { ctx, x, reference, run, dispose } = ffn(6, out, lora);
      const got = run((xi) => linearGelu(ctx, 'ffn', xi));
      const want = run(reference);
      got.forEach((g, i) => expect(worst(g, want[i], 1e-5), `out ${out}, lora ${lora}: output ${i}`).toBeNull());
      expect(await kernelsOf(() => tf.grad((xi: tf.Tensor) => linearGelu(ctx, 'ffn', xi).sum())(x))).toContain(BIAS_GELU_KERNEL);
      dispose();
    }
  });
});

describe('the SIMD bias + GELU', () => {
  it("takes two groups of four at a time through $phi written out: the same bits as the last group's $phi", () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const k = simdKernels(memory);
    if (typeof k === 'string') throw new Error(k);
    // rows of 12: groups 0 and 1 go through the written-out pair, group 2 (the row's last) through $phi; group 2 holds
    // group 0's values, over most of float32's range GELU sees (|x| up to 12, and 0)
    const [rows, c] = [1_000, 12];
    const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
    const [x, b, y, d] = [0, rows * c * 4, rows * c * 4 + 64, 2 * rows * c * 4 + 64];
    const xs = f32(x, rows * c);
    let s = 99;
    for (let i = 0; i < xs.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      xs[i] = i % 12 >= 8 ? xs[i - 8] : i % 97 === 0 ? 0 : (s / 2 ** 31 - 1) * (i % 5 === 0 ? 12 : 4);
    }
    f32(b, c).set([0.5, -1, 0, 2, 3, 3, 3, 3, 0.5, -1, 0, 2]);
    for (const bias of [b, null]) {
      k.geluD(x, bias, y, d, rows, c);
      const [ys, ds] = [f32(y, rows * c), f32(d, rows * c)];
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < 4; j++) {
          const [pair, last] = [r * c + j, r * c + 8 + j];
          expect([ys[last], ds[last]], `row ${r}, lane ${j}, bias ${bias !== null}`).toEqual([ys[pair], ds[pair]]);
        }
    }
  });
});

describe('the attention softmax backward kernel', () => {
  it.each([64, 7])('maskedSoftmax over [2, 3, T, T] scores (T = %i) equals the tensor ops with their gradient (1e-5)', async (t) => {
    const x = tf.randomNormal([2, 3, t, t], 0, 3, 'float32', 8);
    const mask = tf.tidy(() =>
      tf
        .sub(
          1,
          tf.tensor2d(
            [
              [1, 1, 1, 0, 0, 0, 0],
              [1, 1, 1, 1, 1, 1, 0],
            ].map((r) => Array.from({ length: t }, (_, j) => r[j % 7])),
          ),
        )
        .mul(-1e9)
        .reshape([2, 1, 1, t]),
    );
    const dy = tf.randomNormal([2, 3, t, t], 0, 1, 'float32', 9);
    const both = (f: (z: tf.Tensor) => tf.Tensor) =>
      tf.tidy(() => [f(x), tf.grad((z: tf.Tensor) => f(z).mul(dy).sum())(x)].map((r) => Array.from(r.dataSync())));
    const got = both((z) => maskedSoftmax(z, mask, 0.125));
    const want = both((z) => softmaxOps(z, mask, 0.125));
    expect(worst(got[0], want[0], 1e-6)).toBeNull();
    expect(worst(got[1], want[1], 1e-5)).toBeNull();
    expect(got[0].filter((v) => v === 0).length).toBeGreaterThan(0); // the masked keys get nothing
    const ran = await kernelsOf(() => tf.grad((z: tf.Tensor) => maskedSoftmax(z, mask, 0.125).mul(dy).sum())(x));
    expect(ran).toContain(SOFTMAX_GRAD_KERNEL);
    expect(ran).not.toContain('Sub'); // tfjs's softmax gradient subtracts the row sums
    tf.dispose([x, mask, dy]);
  });
});

describe('a fused kernel that fails its self-test is left out', () => {
  it('a softmax backward without its scale, a bias + GELU without the bias: not installed, the model paths give the ops values', () => {
    const unscaled = (args: KernelArgs) => {
      const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
      const b = args.backend as {
        readSync(id: unknown): Float32Array;
        makeOutput(s: number[], d: string, u?: unknown, v?: Float32Array): tf.TensorInfo;
      };
      const [g, p] = [b.readSync(dy.dataId), b.readSync(y.dataId)];
      const c = y.shape[y.shape.length - 1];
      const dx = new Float32Array(p.length);
      for (let r = 0; r < p.length; r += c) {
        let s = 0;
        for (let j = r; j < r + c; j++) s += g[j] * p[j];
        for (let j = r; j < r + c; j++) dx[j] = p[j] * (g[j] - s); // the scale left out
      }
      return b.makeOutput([...y.shape], 'float32', undefined, dx);
    };
    const unbiased = (args: KernelArgs) => {
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const b = args.backend as {
        readSync(id: unknown): Float32Array;
        makeOutput(s: number[], d: string, u?: unknown, v?: Float32Array): tf.TensorInfo;
      };
      const xv = b.readSync(x.dataId);
      const [y, d] = tf.tidy(() => [geluOps(tf.tensor(xv)).dataSync(), tf.grad(geluOps)(tf.tensor(xv)).dataSync()]);
      return [
        b.makeOutput([...x.shape], 'float32', undefined, y as Float32Array),
        b.makeOutput([...x.shape], 'float32', undefined, d as Float32Array),
      ];
    };
    uninstallWasmKernels();
    const s = installWasmKernels({ replace: { FinetuneSoftmaxGrad: unscaled, FinetuneBiasGelu: unbiased } });
    expect(s.skipped.map((k) => k.kernel)).toEqual(['FinetuneSoftmaxGrad', 'FinetuneBiasGelu']);
    expect(s.skipped[0].reason).toMatch(/^self-test: softmax gradient, rows of 7: element \d+ is .*, expected /);
    expect(s.skipped[1].reason).toMatch(/^self-test: gelu\(x \+ b\), with a bias: element \d+ is .*, expected /);
    expect(tf.getKernel(SOFTMAX_GRAD_KERNEL, 'wasm')).toBeUndefined();
    const { ctx, reference, run, dispose } = ffn(12, 8);
    const got = run((xi) => linearGelu(ctx, 'ffn', xi));
    const want = run(reference);
    got.forEach((g, i) => expect(worst(g, want[i], 1e-5)).toBeNull());
    dispose();
  });
});
