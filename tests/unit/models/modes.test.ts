// Fine-tuning modes: real gradients reach exactly the trainable variables, and an optimizer step leaves the rest
// bit-identical. Tiny random BERT (L2, H32) so every mode runs in well under a second.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTaskModel } from '@/lib/models/task-model';
import type { Architecture, FineTuneMode, Task, TaskModel, TensorBatch } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { bitIdentical, disposeBatch, maxAbsDiff, sampleBatch, snapshot, TINY, tinyEncoder, toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

const LABELS = ['neg', 'neu', 'pos'];

function lossFn(model: TaskModel, batch: TensorBatch, task: Task): () => tf.Scalar {
  return () => {
    const logits = model.forward(batch, { training: true, seed: 3 });
    if (task === 'token-classification') {
      const [b, t, n] = logits.shape;
      const y = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: b * t }, (_, i) => i % n),
          'int32',
        ),
        n,
      );
      return tf.losses.softmaxCrossEntropy(y, logits.reshape([b * t, n]));
    }
    if (task === 'regression') return tf.losses.meanSquaredError(tf.tensor2d([[0.1], [0.9], [0.5], [0.3]]), logits);
    if (task === 'multilabel')
      return tf.losses.sigmoidCrossEntropy(
        tf.tensor2d([
          [1, 0, 1],
          [0, 1, 0],
          [1, 1, 0],
          [0, 0, 1],
        ]),
        logits,
      );
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3), logits);
  };
}

/** What each mode should train, derived from parameter names alone (independent of the implementation). */
function expectedTrainable(names: string[], mode: FineTuneMode, task: Task, arch: Architecture): Set<string> {
  const usesPooler = task !== 'token-classification' && (arch === 'bert' || arch === 'use-lite');
  return new Set(
    names.filter((n) => {
      if (n.startsWith('classifier.') || n.startsWith('pre_classifier.')) return true;
      if (mode.kind === 'lora') return n.includes('.lora_');
      if (mode.kind === 'head') return false;
      if (n.startsWith('pooler.')) return usesPooler;
      if (mode.kind === 'full') return true;
      const m = /^(?:encoder|transformer)\.layer\.(\d+)\./.exec(n);
      return m !== null && Number(m[1]) >= (mode as { layers: number }).layers;
    }),
  );
}

const LORA: FineTuneMode = { kind: 'lora', rank: 4, alpha: 8, dropout: 0.1, targets: ['query', 'value', 'ffn'] };
const CASES: { name: string; mode: FineTuneMode; task: Task; arch: Architecture }[] = [
  { name: 'full fine-tuning, single-label classification', mode: { kind: 'full' }, task: 'classification', arch: 'bert' },
  {
    name: 'full fine-tuning, token classification (pooler unused, so frozen)',
    mode: { kind: 'full' },
    task: 'token-classification',
    arch: 'bert',
  },
  { name: 'freeze embeddings + bottom 1 layer, multi-label', mode: { kind: 'freeze', layers: 1 }, task: 'multilabel', arch: 'bert' },
  {
    name: 'freeze embeddings + all layers (pooler + head train), regression',
    mode: { kind: 'freeze', layers: 2 },
    task: 'regression',
    arch: 'bert',
  },
  { name: 'head-only', mode: { kind: 'head' }, task: 'classification', arch: 'bert' },
  { name: 'LoRA on query/value/FFN', mode: LORA, task: 'classification', arch: 'bert' },
  { name: 'RoBERTa, LoRA (classifier.dense/out_proj head)', mode: LORA, task: 'classification', arch: 'roberta' },
  { name: 'RoBERTa, full (its pooler is unused by the head, so frozen)', mode: { kind: 'full' }, task: 'regression', arch: 'roberta' },
  {
    name: 'DistilBERT, freeze embeddings + bottom 1 layer (pre_classifier head)',
    mode: { kind: 'freeze', layers: 1 },
    task: 'classification',
    arch: 'distilbert',
  },
  { name: 'DistilBERT, LoRA on q_lin/v_lin/ffn', mode: LORA, task: 'multilabel', arch: 'distilbert' },
  { name: 'DistilBERT, token classification, head-only', mode: { kind: 'head' }, task: 'token-classification', arch: 'distilbert' },
];

describe('fine-tuning modes: gradients reach exactly the trainable variables', () => {
  for (const c of CASES) {
    it(`${c.name}: grads only for trainable(), others bit-identical after an Adam step`, () => {
      const model = createTaskModel({
        encoder: tinyEncoder(c.arch),
        tokenizer: toyTokenizer(),
        task: c.task,
        labels: c.task === 'regression' ? [] : LABELS,
        mode: c.mode,
        seed: 5,
      });
      const batch = sampleBatch();
      const all = model.variables();
      const trainable = model.trainable();
      const expected = expectedTrainable([...all.keys()], c.mode, c.task, c.arch);
      expect(new Set(trainable.keys())).toEqual(expected);
      expect(expected.size).toBeGreaterThan(0);

      // Gradients over every variable of the model: the frozen ones must come back null.
      const byVar = new Map([...all].map(([n, v]) => [v.name, n]));
      const { value, grads } = tf.variableGrads(lossFn(model, batch, c.task), [...all.values()]);
      const withGrad = new Set(
        Object.entries(grads)
          .filter(([, g]) => g != null)
          .map(([k]) => byVar.get(k)!),
      );
      expect(withGrad).toEqual(expected);
      for (const [k, g] of Object.entries(grads)) {
        if (!g) continue;
        const name = byVar.get(k)!;
        const norm = tf.tidy(() => g.abs().sum().dataSync()[0]);
        // lora_A gets exactly zero gradient at the start because B = 0 (dL/dA ∝ Bᵀ); everything else must move.
        if (name.endsWith('.lora_A.weight')) expect(norm).toBe(0);
        else expect(norm, name).toBeGreaterThan(0);
      }
      // The `trainable` flags agree with trainable(): variableGrads over all registered variables finds the same set.
      const flagged = tf.variableGrads(lossFn(model, batch, c.task));
      expect(new Set(Object.keys(flagged.grads).map((k) => byVar.get(k)))).toEqual(expected);
      tf.dispose([flagged.value, ...Object.values(flagged.grads)]);

      const before = snapshot(all);
      const opt = tf.train.adam(1e-2);
      opt.applyGradients(
        Object.entries(grads)
          .filter(([, g]) => g != null)
          .map(([name, tensor]) => ({ name, tensor })),
      );
      const after = snapshot(all);
      for (const n of all.keys()) {
        const same = bitIdentical(before.get(n)!, after.get(n)!);
        if (!expected.has(n) || n.endsWith('.lora_A.weight')) expect(same, `${n} must not change`).toBe(true);
        else expect(same, `${n} must change`).toBe(false);
      }
      opt.dispose();
      tf.dispose([value, ...Object.values(grads).filter((g): g is tf.Tensor => g != null)]);

      // Counts: trainable = the trainable variables' sizes; total = every variable (adapters included).
      const size = (names: Iterable<string>) => [...names].reduce((s, n) => s + all.get(n)!.size, 0);
      expect(model.paramCounts()).toEqual({ trainable: size(expected), total: size(all.keys()) });
      disposeBatch(batch);
      model.dispose();
    });
  }
});

describe('parameter counts per mode', () => {
  it('LoRA rank 4 on query+value of a 2-layer H32 BERT trains 2·2·4·(32+32) adapter + 3·32+3 head parameters', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'lora', rank: 4, alpha: 8, dropout: 0, targets: ['query', 'value'] },
    });
    const H = TINY.hidden_size,
      I = TINY.intermediate_size,
      V = TINY.vocab_size,
      P = TINY.max_position_embeddings;
    const perLayer = 4 * (H * H + H) + 2 * H + (I * H + I) + (H * I + H) + 2 * H;
    const bertTotal = V * H + P * H + 2 * H + 2 * H + 2 * perLayer + (H * H + H);
    const adapters = 2 * 2 * 4 * (H + H);
    const head = 3 * H + 3;
    expect(model.paramCounts()).toEqual({ trainable: adapters + head, total: bertTotal + adapters + head });
    model.dispose();
  });

  it('head-only trains just the classifier; freezing 1 of 2 layers trains layer 1 + pooler + head', () => {
    const H = TINY.hidden_size,
      I = TINY.intermediate_size;
    const perLayer = 4 * (H * H + H) + 2 * H + (I * H + I) + (H * I + H) + 2 * H;
    const head = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'head' },
    });
    expect(head.paramCounts().trainable).toBe(3 * H + 3);
    head.dispose();
    const freeze = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'freeze', layers: 1 },
    });
    expect(freeze.paramCounts().trainable).toBe(perLayer + H * H + H + 3 * H + 3);
    freeze.dispose();
  });
});

describe('head-only mode', () => {
  it('headForward(features(batch)) equals forward(batch), with the same seeded head dropout', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'head' },
      classifierDropout: 0.3,
    });
    const batch = sampleBatch();
    const feats = model.features(batch);
    expect(feats.shape).toEqual([4, TINY.hidden_size]);
    const a = model.forward(batch, { training: true, seed: 11 });
    const b = model.headForward(feats, { training: true, seed: 11 });
    const c = model.headForward(feats, { training: true, seed: 12 });
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0); // dropout is really on in training
    tf.dispose([feats, a, b, c]);
    disposeBatch(batch);
    model.dispose();
  });

  it('cached features train the head with no gradient into the encoder and no tensor growth per step', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: LABELS,
      mode: { kind: 'head' },
    });
    const batch = sampleBatch();
    const feats = model.features(batch);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
    const opt = tf.train.adam(0.05);
    const encBefore = snapshot(model.encoder.params);
    const step = () =>
      opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.headForward(feats, { training: true, seed: 1 })) as tf.Scalar, true, [
        ...model.trainable().values(),
      ]);
    const l0 = step()!;
    const first = l0.dataSync()[0];
    l0.dispose();
    const n0 = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 30; i++) {
      const l = step()!;
      last = l.dataSync()[0];
      l.dispose();
    }
    expect(tf.memory().numTensors).toBe(n0);
    expect(last).toBeLessThan(first);
    const encAfter = snapshot(model.encoder.params);
    for (const [n, v] of encBefore) expect(bitIdentical(v, encAfter.get(n)!), n).toBe(true);
    opt.dispose();
    tf.dispose([feats, y]);
    disposeBatch(batch);
    model.dispose();
  });
});
