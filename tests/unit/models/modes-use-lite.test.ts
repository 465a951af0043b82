// Heads and fine-tuning modes on USE-Lite (TF graph names, pooled = the normalised projection), on a tiny random
// USE-Lite with the real architecture's structure (2 layers, widening residual, tanh projection).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { createTaskModel, headVariables } from '@/lib/models/task-model';
import { createUseLite, useLiteConfig, useLiteParamShapes } from '@/lib/models/use-lite';
import type { Encoder, FineTuneMode, Task } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { bitIdentical, disposeBatch, maxAbsDiff, sampleBatch, snapshot, toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

const CFG = { vocab_size: 100, embedding_size: 16, hidden_size: 32, num_attention_heads: 2, attention_sizes: [16, 32], intermediate_size: 48, projection_size: 24, max_position_embeddings: 32 };

function tinyUseLite(seed = 1): Encoder {
  const c = useLiteConfig(CFG);
  const params = new Map<string, tf.Variable>();
  let i = 0;
  for (const [name, shape] of useLiteParamShapes(c)) {
    i++;
    const t = tf.tidy(() => (/layer_norm_scale/.test(name) ? tf.ones(shape) : /bias/.test(name) ? tf.zeros(shape) : tf.randomNormal(shape, 0, 0.2, 'float32', seed * 1000 + i)));
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
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(Array.from({ length: b * t }, (_, i) => i % n), 'int32'), n), logits.reshape([b * t, n])) as tf.Scalar;
      }
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2), logits) as tf.Scalar;
    },
  };
}

describe('USE-Lite task heads', () => {
  it('a sequence head reads the 24-d normalised embedding: classifier.weight [numLabels, projection_size]', () => {
    const model = createTaskModel({ encoder: tinyUseLite(), tokenizer: toyTokenizer(), task: 'classification', labels: ['a', 'b'], mode: { kind: 'full' } });
    const hv = headVariables(model);
    expect(hv.get('classifier.weight')!.shape).toEqual([2, 24]);
    const batch = sampleBatch();
    const logits = model.forward(batch, { training: false });
    const expected = tf.tidy(() => tf.matMul(model.encoder.forward(batch, { training: false }).pooled, hv.get('classifier.weight')!, false, true).add(hv.get('classifier.bias')!));
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
    ['full, token classification (projection unused, frozen)', { kind: 'full' }, 'token-classification', (b) => b !== 'pooler' && b !== 'other'],
  ];
  for (const [name, mode, task, encoderTrains] of cases) {
    it(`${name}: grads only for trainable(), the rest bit-identical after a step`, () => {
      const model = createTaskModel({ encoder: tinyUseLite(), tokenizer: toyTokenizer(), task, labels: ['a', 'b'], mode });
      const all = model.variables();
      const expected = new Set([...all.keys()].filter((n) => n.startsWith('classifier.') || (model.encoder.params.has(n) && encoderTrains(model.encoder.blockOf(n)))));
      expect(new Set(model.trainable().keys())).toEqual(expected);
      const { batch, f } = lossOf(model, task);
      const byVar = new Map([...all].map(([n, v]) => [v.name, n]));
      const { value, grads } = tf.variableGrads(f, [...all.values()]);
      const withGrad = Object.entries(grads).filter(([, g]) => g != null);
      expect(new Set(withGrad.map(([k]) => byVar.get(k)!))).toEqual(expected);
      for (const [k, g] of withGrad) expect(tf.tidy(() => g!.abs().sum().dataSync()[0]), byVar.get(k)).toBeGreaterThan(0);
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

  it('LoRA: a UserError on option mode while USE-Lite takes no adapters (nothing leaks); adapters + head train once it does', () => {
    const encoder = tinyUseLite();
    const n = tf.memory().numTensors;
    const make = () => createTaskModel({ encoder, tokenizer: toyTokenizer(), task: 'classification', labels: ['a', 'b'], mode: { kind: 'lora', rank: 2, alpha: 4, dropout: 0, targets: ['query', 'ffn'] } });
    if (!encoder.lora) {
      expect(make).toThrow(UserError);
      expect(tf.memory().numTensors).toBe(n);
      encoder.dispose();
      return;
    }
    const model = make();
    const names = [...model.trainable().keys()];
    expect(names.filter((x) => x.startsWith('classifier.')).length).toBe(2);
    expect(names.length).toBeGreaterThan(2);
    expect(names.every((x) => x.startsWith('classifier.') || x.includes('.lora_'))).toBe(true);
    model.dispose();
  });
});
