// Heads, fine-tuning modes and LoRA on USE-Lite (TF graph names, pooled = the normalised projection), on a tiny random
// USE-Lite with the real architecture's structure (2 layers, widening residual, tanh projection).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loraTargetPrefixes } from '@/lib/models/lora';
import { exportTaskWeights, splitTaskCheckpoint } from '@/lib/models/param-io';
import { createTaskModel, headVariables, mergeLora } from '@/lib/models/task-model';
import { createUseLite, useLiteConfig, useLiteLayerNames, useLiteParamShapes } from '@/lib/models/use-lite';
import type { Encoder, FineTuneMode, LoraTarget, Task } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { bitIdentical, disposeBatch, maxAbsDiff, sampleBatch, snapshot, toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

const CFG = {
  vocab_size: 100,
  embedding_size: 16,
  hidden_size: 32,
  num_attention_heads: 2,
  attention_sizes: [16, 32],
  intermediate_size: 48,
  projection_size: 24,
  max_position_embeddings: 32,
};

function tinyUseLite(seed = 1): Encoder {
  const c = useLiteConfig(CFG);
  const params = new Map<string, tf.Variable>();
  let i = 0;
  for (const [name, shape] of useLiteParamShapes(c)) {
    i++;
    const t = tf.tidy(() =>
      /layer_norm_scale/.test(name)
        ? tf.ones(shape)
        : /bias/.test(name)
          ? tf.zeros(shape)
          : tf.randomNormal(shape, 0, 0.2, 'float32', seed * 1000 + i),
    );
    params.set(name, tf.variable(t, true));
    t.dispose();
  }
  return createUseLite(params, c);
}

function lossOf(model: ReturnType<typeof createTaskModel>, task: Task) {
  const batch = sampleBatch();
  return {
    batch,
    f: (): tf.Scalar => {
      const logits = model.forward(batch, { training: true, seed: 2 });
      if (task === 'token-classification') {
        const [b, t, n] = logits.shape;
        return tf.losses.softmaxCrossEntropy(
          tf.oneHot(
            tf.tensor1d(
              Array.from({ length: b * t }, (_, i) => i % n),
              'int32',
            ),
            n,
          ),
          logits.reshape([b * t, n]),
        ) as tf.Scalar;
      }
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2), logits) as tf.Scalar;
    },
  };
}

describe('USE-Lite task heads', () => {
  it('a sequence head reads the 24-d normalised embedding: classifier.weight [numLabels, projection_size]', () => {
    const model = createTaskModel({
      encoder: tinyUseLite(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: { kind: 'full' },
    });
    const hv = headVariables(model);
    expect(hv.get('classifier.weight')!.shape).toEqual([2, 24]);
    const batch = sampleBatch();
    const logits = model.forward(batch, { training: false });
    const expected = tf.tidy(() =>
      tf
        .matMul(model.encoder.forward(batch, { training: false }).pooled, hv.get('classifier.weight')!, false, true)
        .add(hv.get('classifier.bias')!),
    );
    expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(1e-6);
    tf.dispose([logits, expected]);
    disposeBatch(batch);
    model.dispose();
  });
});

describe('USE-Lite fine-tuning modes: gradients reach exactly the trainable variables', () => {
  const cases: [string, FineTuneMode, Task, (block: ReturnType<Encoder['blockOf']>) => boolean][] = [
    ['full, classification (projection trains)', { kind: 'full' }, 'classification', () => true],
    ['freeze embeddings + layer 0', { kind: 'freeze', layers: 1 }, 'classification', (b) => b === 1 || b === 'pooler' || b === 'other'],
    ['head-only', { kind: 'head' }, 'classification', () => false],
    [
      'full, token classification (projection unused, frozen)',
      { kind: 'full' },
      'token-classification',
      (b) => b !== 'pooler' && b !== 'other',
    ],
  ];
  for (const [name, mode, task, encoderTrains] of cases) {
    it(`${name}: grads only for trainable(), the rest bit-identical after a step`, () => {
      const model = createTaskModel({ encoder: tinyUseLite(), tokenizer: toyTokenizer(), task, labels: ['a', 'b'], mode });
      const all = model.variables();
      const expected = new Set(
        [...all.keys()].filter(
          (n) => n.startsWith('classifier.') || (model.encoder.params.has(n) && encoderTrains(model.encoder.blockOf(n))),
        ),
      );
      expect(new Set(model.trainable().keys())).toEqual(expected);
      const { batch, f } = lossOf(model, task);
      const byVar = new Map([...all].map(([n, v]) => [v.name, n]));
      const { value, grads } = tf.variableGrads(f, [...all.values()]);
      const withGrad = Object.entries(grads).filter(([, g]) => g != null);
      expect(new Set(withGrad.map(([k]) => byVar.get(k)!))).toEqual(expected);
      for (const [k, g] of withGrad)
        expect(
          tf.tidy(() => g!.abs().sum().dataSync()[0]),
          byVar.get(k),
        ).toBeGreaterThan(0);
      const before = snapshot(all);
      const opt = tf.train.sgd(0.1);
      opt.applyGradients(withGrad.map(([n, tensor]) => ({ name: n, tensor: tensor! })));
      const after = snapshot(all);
      for (const n of all.keys()) expect(bitIdentical(before.get(n)!, after.get(n)!), n).toBe(!expected.has(n));
      opt.dispose();
      tf.dispose([value, ...withGrad.map(([, g]) => g!)]);
      disposeBatch(batch);
      model.dispose();
    });
  }
});

const loraMode = (targets: LoraTarget[], rank = 2, alpha = 4, dropout = 0): FineTuneMode => ({
  kind: 'lora',
  rank,
  alpha,
  dropout,
  targets,
});

/** B ← N(0, σ) for every adapter, so the adapters change the output. */
function randomizeB(encoder: Encoder, sigma = 0.5): void {
  let i = 0;
  for (const ad of encoder.lora!.values()) tf.tidy(() => ad.B.assign(tf.randomNormal(ad.B.shape, 0, sigma, 'float32', 100 + i++)));
}

describe('LoRA on USE-Lite (graph kernels [in, out], attention ones [1, 1, in, out])', () => {
  const c = useLiteConfig(CFG);
  const n0 = useLiteLayerNames(0),
    n1 = useLiteLayerNames(1);

  const qkvTest =
    'query, key and value all select the fused qkv kernel of each layer (one adapter), output the output kernel, ffn conv1 + conv2';
  it(qkvTest, () => {
    const enc = tinyUseLite();
    expect(enc.linearLayout).toBe('in-out');
    for (const t of ['query', 'key', 'value'] as LoraTarget[]) expect(loraTargetPrefixes(enc, [t])).toEqual([n0.qkvKernel, n1.qkvKernel]);
    expect(loraTargetPrefixes(enc, ['query', 'value'])).toEqual([n0.qkvKernel, n1.qkvKernel]);
    expect(loraTargetPrefixes(enc, ['output'])).toEqual([n0.outKernel, n1.outKernel]);
    expect(loraTargetPrefixes(enc, ['ffn'])).toEqual([n0.ffn1Kernel, n0.ffn2Kernel, n1.ffn1Kernel, n1.ffn2Kernel]);
    // in parameter order, never the residual projection or the tanh projection
    expect(loraTargetPrefixes(enc, ['ffn', 'output', 'query', 'key', 'value'])).toEqual([
      n0.qkvKernel,
      n0.outKernel,
      n0.ffn1Kernel,
      n0.ffn2Kernel,
      n1.qkvKernel,
      n1.outKernel,
      n1.ffn1Kernel,
      n1.ffn2Kernel,
    ]);
    enc.dispose();
  });

  it('fresh adapters have PEFT shapes (A [r, in], B [out, r] = 0 over all of q, k, v) and leave the embedding bit-identical', () => {
    const enc = tinyUseLite();
    const batch = sampleBatch();
    const before = tf.tidy(() => enc.forward(batch, { training: false }).pooled);
    const model = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: loraMode(['query', 'value', 'output', 'ffn'], 3, 6),
    });
    expect(enc.lora!.size).toBe(8);
    const qkv0 = enc.lora!.get(n0.qkvKernel)!;
    expect(qkv0.A.shape).toEqual([3, c.embedding_size]);
    expect(qkv0.B.shape).toEqual([3 * c.attention_sizes[0], 3]);
    expect(qkv0.scale).toBe(2);
    expect(enc.lora!.get(n1.outKernel)!.B.shape).toEqual([c.hidden_size, 3]);
    expect(enc.lora!.get(n1.ffn1Kernel)!.A.shape).toEqual([3, c.hidden_size]);
    expect(enc.lora!.get(n1.ffn2Kernel)!.A.shape).toEqual([3, c.intermediate_size]);
    expect(model.variables().has(`${n0.qkvKernel}.lora_A.weight`)).toBe(true);
    const after = tf.tidy(() => enc.forward(batch, { training: false }).pooled);
    expect(bitIdentical(before.dataSync() as Float32Array, after.dataSync() as Float32Array)).toBe(true);
    tf.dispose([before, after]);
    disposeBatch(batch);
    model.dispose();
  });

  it('gradients reach exactly the adapters and the head (with LoRA dropout); every other variable is bit-identical after a step', () => {
    const model = createTaskModel({
      encoder: tinyUseLite(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: loraMode(['query', 'output', 'ffn'], 2, 4, 0.1),
    });
    randomizeB(model.encoder, 0.1); // with B = 0 A gets no gradient
    const all = model.variables();
    const expected = new Set([...all.keys()].filter((n) => n.startsWith('classifier.') || n.includes('.lora_')));
    expect(expected.size).toBe(2 + 2 * 8);
    expect(new Set(model.trainable().keys())).toEqual(expected);
    const { batch, f } = lossOf(model, 'classification');
    const byVar = new Map([...all].map(([n, v]) => [v.name, n]));
    const { value, grads } = tf.variableGrads(f, [...all.values()]);
    const withGrad = Object.entries(grads).filter(([, g]) => g != null);
    expect(new Set(withGrad.map(([k]) => byVar.get(k)!))).toEqual(expected);
    for (const [k, g] of withGrad)
      expect(
        tf.tidy(() => g!.abs().sum().dataSync()[0]),
        byVar.get(k),
      ).toBeGreaterThan(0);
    const before = snapshot(all);
    const opt = tf.train.sgd(0.1);
    opt.applyGradients(withGrad.map(([n, tensor]) => ({ name: n, tensor: tensor! })));
    const after = snapshot(all);
    for (const n of all.keys()) expect(bitIdentical(before.get(n)!, after.get(n)!), n).toBe(!expected.has(n));
    opt.dispose();
    tf.dispose([value, ...withGrad.map(([, g]) => g!)]);
    disposeBatch(batch);
    model.dispose();
  });

  it('the adapter gradient of a qkv kernel matches a finite difference (B entry in the k slice of layer 1)', () => {
    const model = createTaskModel({
      encoder: tinyUseLite(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: loraMode(['key']),
    });
    randomizeB(model.encoder, 0.3);
    const batch = sampleBatch();
    const target = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
    const loss = () => tf.losses.softmaxCrossEntropy(target, model.forward(batch, { training: false })) as tf.Scalar;
    const B = model.encoder.lora!.get(n1.qkvKernel)!.B;
    const row = c.attention_sizes[1] + 5; // a k output column
    const { grads } = tf.variableGrads(loss, [B]);
    const analytic = grads[B.name].bufferSync().get(row, 1);
    const orig = B.bufferSync().get(row, 1);
    const at = (v: number) => {
      const buf = B.bufferSync();
      buf.set(v, row, 1);
      tf.tidy(() => B.assign(buf.toTensor()));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const h = 1e-2;
    const numeric = (at(orig + h) - at(orig - h)) / (2 * h);
    at(orig);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-5);
    expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-3 + 0.02 * Math.abs(numeric));
    tf.dispose([target, ...Object.values(grads)]);
    disposeBatch(batch);
    model.dispose();
  });

  it('folding the adapters into the [1, 1, in, out] and [in, out] kernels gives the same logits as the unmerged model (≤ 1e-5)', () => {
    const model = createTaskModel({
      encoder: tinyUseLite(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: loraMode(['query', 'key', 'value', 'output', 'ffn'], 2, 4),
    });
    randomizeB(model.encoder);
    const batch = sampleBatch();
    const base = tf.tidy(() => {
      const saved = new Map(model.encoder.lora!);
      model.encoder.lora!.clear();
      const out = model.forward(batch, { training: false });
      for (const [k, v] of saved) model.encoder.lora!.set(k, v);
      return out;
    });
    const unmerged = model.forward(batch, { training: false });
    expect(maxAbsDiff(base, unmerged)).toBeGreaterThan(1e-3);
    const shapes = new Map([...model.encoder.params].map(([n, v]) => [n, v.shape.join(',')]));
    const nBefore = tf.memory().numTensors;
    const merged = mergeLora(model);
    expect(tf.memory().numTensors).toBe(nBefore - 2 * 8);
    expect(merged.encoder.lora!.size).toBe(0);
    for (const [n, v] of merged.encoder.params) expect(v.shape.join(','), n).toBe(shapes.get(n));
    const out = merged.forward(batch, { training: false });
    expect(maxAbsDiff(out, unmerged)).toBeLessThanOrEqual(1e-5);
    tf.dispose([base, unmerged, out]);
    disposeBatch(batch);
    merged.dispose();
  });

  it('saved adapters and head passed back as Float32Arrays restore the exact same logits', () => {
    const enc = tinyUseLite();
    const mode = loraMode(['query', 'value', 'ffn'], 2, 4);
    const m1 = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode,
      seed: 1,
      ownsEncoder: false,
    });
    randomizeB(enc, 0.3);
    const batch = sampleBatch();
    const y1 = m1.forward(batch, { training: false });
    const saved = new Map([...m1.trainable()].map(([n, v]) => [n, v.dataSync() as Float32Array]));
    expect([...saved.keys()].filter((n) => n.endsWith('.lora_B.weight')).length).toBe(6);
    m1.dispose();
    expect(enc.lora!.size).toBe(0);
    const m2 = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode,
      seed: 99,
      headParams: saved,
    });
    const y2 = m2.forward(batch, { training: false });
    expect(maxAbsDiff(y1, y2)).toBe(0);
    tf.dispose([y1, y2]);
    disposeBatch(batch);
    m2.dispose();
  });

  const exportTest =
    'a task checkpoint export folds adapters into kernels of the graph shape (= mergeLora), ' +
    'or keeps "<kernel>.lora_A.weight" that load back exactly';
  it(exportTest, async () => {
    const enc = tinyUseLite();
    const mode = loraMode(['value', 'output'], 2, 4);
    const model = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode,
      ownsEncoder: false,
    });
    randomizeB(enc, 0.3);
    const batch = sampleBatch();
    const y1 = model.forward(batch, { training: false });
    const merged = await exportTaskWeights(model);
    expect([...merged.keys()].some((x) => x.includes('lora_'))).toBe(false);
    expect(merged.get(n0.qkvKernel)!.shape).toEqual([1, 1, c.embedding_size, 3 * c.attention_sizes[0]]);
    const kept = await exportTaskWeights(model, { mergeLora: false });
    expect(kept.get(`${n1.outKernel}.lora_B.weight`)!.shape).toEqual([c.hidden_size, 2]);
    const { head } = splitTaskCheckpoint('use-lite', kept);
    expect([...head.keys()].filter((x) => x.includes('.lora_')).length).toBe(2 * 4);
    const folded = mergeLora(model);
    for (const name of [n0.qkvKernel, n1.qkvKernel, n0.outKernel, n1.outKernel]) {
      const e = merged.get(name)!;
      expect(
        tf.tidy(() => maxAbsDiff(tf.tensor(e.data, e.shape), folded.encoder.params.get(name)!)),
        name,
      ).toBeLessThanOrEqual(1e-6);
    }
    folded.dispose();
    // the kept adapters on the unmerged base weights restore the same model
    const enc2 = tinyUseLite(2);
    for (const [x, e] of kept) if (enc2.params.has(x)) tf.tidy(() => enc2.params.get(x)!.assign(tf.tensor(e.data, e.shape)));
    const m2 = createTaskModel({
      encoder: enc2,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode,
      headParams: new Map([...head].map(([x, e]) => [x, e.data])),
    });
    const y2 = m2.forward(batch, { training: false });
    expect(maxAbsDiff(y1, y2)).toBe(0);
    tf.dispose([y1, y2]);
    disposeBatch(batch);
    m2.dispose();
    enc.dispose();
  });

  it('tf.memory().numTensors returns to its baseline after creating, training, merging and disposing LoRA models', () => {
    const n = tf.memory().numTensors;
    const m1 = createTaskModel({
      encoder: tinyUseLite(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: loraMode(['query', 'ffn'], 2, 4, 0.1),
    });
    const { batch, f } = lossOf(m1, 'classification');
    const opt = tf.train.adam(1e-3);
    for (let i = 0; i < 2; i++) opt.minimize(f, true, [...m1.trainable().values()])?.dispose();
    opt.dispose();
    m1.dispose();
    // an encoder disposed while adapters are installed frees them too (the head is the model's own)
    const enc = tinyUseLite();
    const m2 = createTaskModel({
      encoder: enc,
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: loraMode(['output']),
    });
    enc.dispose();
    tf.dispose([...headVariables(m2).values()]);
    const m3 = mergeLora(
      createTaskModel({
        encoder: tinyUseLite(),
        tokenizer: toyTokenizer(),
        task: 'classification',
        labels: ['a', 'b'],
        mode: loraMode(['value']),
      }),
    );
    m3.dispose();
    disposeBatch(batch);
    expect(tf.memory().numTensors).toBe(n);
  });
});
