import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useWasm } from '@/tests/helpers/tf';
import { AdamOptimizer, decays } from '@/lib/train/optimizer';

beforeAll(useWasm);

/** PyTorch's AdamW/Adam written out in double precision, one parameter at a time. */
function reference(
  p: number[],
  grads: number[][],
  o: { lr: number; wd: number; b1: number; b2: number; eps: number; decoupled: boolean; decay: boolean },
): number[] {
  const m = p.map(() => 0),
    v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g0, s) => {
    const t = s + 1;
    for (let i = 0; i < x.length; i++) {
      let g = g0[i];
      if (!o.decoupled && o.decay) g += o.wd * x[i];
      if (o.decoupled && o.decay) x[i] *= 1 - o.lr * o.wd;
      m[i] = o.b1 * m[i] + (1 - o.b1) * g;
      v[i] = o.b2 * v[i] + (1 - o.b2) * g * g;
      const mh = m[i] / (1 - o.b1 ** t),
        vh = v[i] / (1 - o.b2 ** t);
      x[i] -= (o.lr * mh) / (Math.sqrt(vh) + o.eps);
    }
  });
  return x;
}

describe('AdamW / Adam over tf.Variables', () => {
  it('one AdamW step matches the hand-computed update: decay on weights, none on biases and LayerNorm', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const b = tf.variable(tf.tensor1d([1, -2]));
    const ln = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamOptimizer(
      new Map([
        ['classifier.weight', w],
        ['classifier.bias', b],
        ['encoder.layer.0.output.LayerNorm.weight', ln],
      ]),
      { kind: 'adamw', weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    );
    const g = () => tf.tensor1d([0.5, 0.1]);
    opt.apply({ 'classifier.weight': g(), 'classifier.bias': g(), 'encoder.layer.0.output.LayerNorm.weight': g() }, 0.1);
    // step 1: m̂ = g, v̂ = g², so the Adam step is lr·g/(|g|+eps) ≈ lr·sign(g); AdamW first scales p by 1 − lr·wd
    // weight: 1·0.999 − 0.1 = 0.899; −2·0.999 − 0.1 = −2.098.  bias / LayerNorm: 1 − 0.1 = 0.9; −2 − 0.1 = −2.1
    expect(Array.from(w.dataSync())[0]).toBeCloseTo(0.899, 6);
    expect(Array.from(w.dataSync())[1]).toBeCloseTo(-2.098, 6);
    expect(Array.from(b.dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-2.1, 6)]);
    expect(Array.from(ln.dataSync())).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-2.1, 6)]);
    expect(opt.step).toBe(1);
    opt.dispose();
    [w, b, ln].forEach((x) => x.dispose());
  });

  it("three AdamW steps with changing gradients follow PyTorch's formula (bias correction included)", () => {
    const grads = [
      [0.5, -0.3, 2],
      [0.1, 0.4, -1],
      [-0.2, 0.05, 0.5],
    ];
    const o = { lr: 0.05, wd: 0.1, b1: 0.9, b2: 0.99, eps: 1e-6 };
    const w = tf.variable(tf.tensor1d([0.3, -0.7, 1.5]));
    const opt = new AdamOptimizer(new Map([['dense.weight', w]]), {
      kind: 'adamw',
      weightDecay: o.wd,
      beta1: o.b1,
      beta2: o.b2,
      epsilon: o.eps,
    });
    for (const g of grads) opt.apply({ 'dense.weight': tf.tensor1d(g) }, o.lr);
    const want = reference([0.3, -0.7, 1.5], grads, { ...o, decoupled: true, decay: true });
    Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
    opt.dispose();
    w.dispose();
  });

  it('Adam adds weight decay to the gradient (L2), unlike AdamW', () => {
    const grads = [
      [0.5, -0.3],
      [0.1, 0.4],
    ];
    const o = { lr: 0.1, wd: 0.5, b1: 0.9, b2: 0.999, eps: 1e-8 };
    const w = tf.variable(tf.tensor1d([2, -1]));
    const opt = new AdamOptimizer(new Map([['dense.weight', w]]), {
      kind: 'adam',
      weightDecay: o.wd,
      beta1: o.b1,
      beta2: o.b2,
      epsilon: o.eps,
    });
    for (const g of grads) opt.apply({ 'dense.weight': tf.tensor1d(g) }, o.lr);
    const l2 = reference([2, -1], grads, { ...o, decoupled: false, decay: true });
    const decoupled = reference([2, -1], grads, { ...o, decoupled: true, decay: true });
    Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(l2[i], 6));
    expect(Math.abs(l2[0] - decoupled[0])).toBeGreaterThan(1e-3);
    opt.dispose();
    w.dispose();
  });

  it('scales the learning rate per parameter (lrScales), decay included, on the fused and the op path alike', () => {
    const grads = [
      [0.5, -0.3],
      [0.1, 0.4],
      [-0.2, 0.6],
    ];
    const o = { lr: 0.01, wd: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8 };
    for (const fused of [true, false]) {
      const enc = tf.variable(tf.tensor1d([1, -1]));
      const head = tf.variable(tf.tensor1d([1, -1]));
      const opt = new AdamOptimizer(
        new Map([
          ['encoder.dense.weight', enc],
          ['classifier.weight', head],
        ]),
        { kind: 'adamw', weightDecay: o.wd, beta1: o.b1, beta2: o.b2, epsilon: o.eps, fused, lrScales: { 'classifier.weight': 20 } },
      );
      for (const g of grads) opt.apply({ 'encoder.dense.weight': tf.tensor1d(g), 'classifier.weight': tf.tensor1d(g) }, o.lr);
      const wantEnc = reference([1, -1], grads, { ...o, decoupled: true, decay: true });
      const wantHead = reference([1, -1], grads, { ...o, lr: o.lr * 20, decoupled: true, decay: true });
      Array.from(enc.dataSync()).forEach((x, i) => expect(x, `encoder, fused=${fused}`).toBeCloseTo(wantEnc[i], 6));
      Array.from(head.dataSync()).forEach((x, i) => expect(x, `head, fused=${fused}`).toBeCloseTo(wantHead[i], 5));
      expect(Math.abs(wantHead[0] - wantEnc[0])).toBeGreaterThan(0.1);
      opt.dispose();
      [enc, head].forEach((x) => x.dispose());
    }
  });

  it('state round-trips: a restored optimizer continues exactly like the original', async () => {
    const mk = () => tf.tidy(() => tf.variable(tf.tensor1d([0.5, -0.5])));
    const a = mk();
    const optA = new AdamOptimizer(new Map([['x.weight', a]]), {
      kind: 'adamw',
      weightDecay: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    optA.apply({ 'x.weight': tf.tensor1d([0.3, 0.2]) }, 0.01);
    const state = await optA.getState();
    const b = tf.tidy(() => tf.variable(tf.tensor1d(a.dataSync()))); // its own memory (a clone shares a's), updated in place as a is
    const optB = new AdamOptimizer(new Map([['x.weight', b]]), {
      kind: 'adamw',
      weightDecay: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    optB.setState(state);
    optA.apply({ 'x.weight': tf.tensor1d([-0.1, 0.7]) }, 0.01);
    optB.apply({ 'x.weight': tf.tensor1d([-0.1, 0.7]) }, 0.01);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(state.step).toBe(1);
    [optA, optB].forEach((o) => o.dispose());
    [a, b].forEach((x) => x.dispose());
  });

  it('decides weight decay by name: biases and every LayerNorm variant are excluded', () => {
    for (const n of [
      'encoder.layer.0.attention.self.query.bias',
      'embeddings.LayerNorm.weight',
      'embeddings.LayerNorm.bias',
      'transformer.layer.0.sa_layer_norm.weight',
      'transformer.layer.1.output_layer_norm.weight',
      'classifier.bias',
    ])
      expect(decays(n), n).toBe(false);
    for (const n of [
      'encoder.layer.0.attention.self.query.weight',
      'embeddings.word_embeddings.weight',
      'classifier.weight',
      'pre_classifier.weight',
      'encoder.layer.0.attention.self.query.lora_A.weight',
    ])
      expect(decays(n), n).toBe(true);
  });

  it('keeps its tensor count fixed across updates', () => {
    const w = tf.variable(tf.randomNormal([4, 4], 0, 1, 'float32', 1));
    const opt = new AdamOptimizer(new Map([['w.weight', w]]), {
      kind: 'adamw',
      weightDecay: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    const g = tf.ones([4, 4]);
    opt.apply({ 'w.weight': g }, 0.1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply({ 'w.weight': g }, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    [w, g].forEach((x) => x.dispose());
  });

  it.each([
    { kind: 'adamw' as const, scale: 1 },
    { kind: 'adamw' as const, scale: 0.37 },
    { kind: 'adam' as const, scale: 0.5 },
  ])(
    'the fused in-place step ($kind, gradient scale $scale) agrees with the tensor-op step to float32 rounding over 6 steps',
    ({ kind, scale }) => {
      const init = Array.from({ length: 96 }, (_, i) => Math.sin(i * 1.7) * 2);
      const make = () =>
        new Map<string, tf.Variable>([
          ['enc.weight', tf.tidy(() => tf.variable(tf.tensor2d(init.slice(0, 64), [8, 8])))],
          ['enc.bias', tf.tidy(() => tf.variable(tf.tensor1d(init.slice(64))))],
        ]);
      const fusedParams = make(),
        opParams = make();
      const opts = { kind, weightDecay: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
      const fused = new AdamOptimizer(fusedParams, { ...opts, fused: true });
      const ops = new AdamOptimizer(opParams, { ...opts, fused: false });
      for (let step = 0; step < 6; step++) {
        const gw = tf.tensor2d(
          init.slice(0, 64).map((x, i) => Math.cos(x * (step + 1) + i)),
          [8, 8],
        );
        const gb = tf.tensor1d(init.slice(64).map((x) => x * 0.1 - step * 0.05));
        const id = fusedParams.get('enc.weight')!.dataId;
        fused.apply({ 'enc.weight': gw, 'enc.bias': gb }, 3e-3, scale);
        ops.apply({ 'enc.weight': gw, 'enc.bias': gb }, 3e-3, scale);
        // the fused step really ran in place (the op path assigns new tensors)
        expect(fusedParams.get('enc.weight')!.dataId).toBe(id);
        tf.dispose([gw, gb]);
      }
      // the op path rounds each intermediate to float32, the fused step only its results: a few float32 ulps apart
      const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
        const [x, y] = [a.dataSync(), b.dataSync()];
        const scale = Math.max(...Array.from(y, Math.abs));
        x.forEach((xi, i) => expect(Math.abs(xi - y[i]), `${what}[${i}]: ${xi} vs ${y[i]}`).toBeLessThanOrEqual(1e-6 * scale));
        expect(Array.from(x)).not.toEqual(Array.from(init.slice(0, x.length))); // it moved
      };
      for (const name of ['enc.weight', 'enc.bias']) close(fusedParams.get(name)!, opParams.get(name)!, name);
      const [sf, so] = [fused, ops].map((o) => o as unknown as { m: Map<string, tf.Variable>; v: Map<string, tf.Variable> });
      close(sf.m.get('enc.weight')!, so.m.get('enc.weight')!, 'm');
      close(sf.v.get('enc.weight')!, so.v.get('enc.weight')!, 'v');
      [fused, ops].forEach((o) => o.dispose());
      [...fusedParams.values(), ...opParams.values()].forEach((v) => v.dispose());
    },
  );

  it('updates a parameter whose memory another live tensor shares through tensor ops, leaving that tensor intact', () => {
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3, 4])));
    const alias = w.reshape([2, 2]); // shares w's memory
    const opt = new AdamOptimizer(new Map([['w.weight', w]]), { kind: 'adamw', weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const id = w.dataId;
    const g = tf.tensor1d([1, 1, 1, 1]);
    opt.apply({ 'w.weight': g }, 0.5);
    expect(w.dataId).not.toBe(id);
    expect(Array.from(alias.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(w.dataSync()).map((x) => Math.round(x * 1e5) / 1e5)).toEqual([0.5, 1.5, 2.5, 3.5]);
    opt.dispose();
    tf.dispose([w, alias, g]);
  });
});
