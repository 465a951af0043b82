// Task heads: Hugging Face names and shapes per architecture, the computation each head does, dropout defaults.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { headSpec, hfArchitectureName, isHeadParamName, numLabelsFor } from '@/lib/models/heads';
import { createTaskModel, headVariables } from '@/lib/models/task-model';
import type { Architecture, Encoder, Task } from '@/lib/models/types';
import { useWasm } from '../../helpers/tf';
import { disposeBatch, maxAbsDiff, padBatch, sampleBatch, TINY, tinyEncoder, toyTokenizer } from './task-model.helpers';

beforeAll(useWasm);

const H = TINY.hidden_size;
const fakeEncoder = (arch: Architecture, config: Record<string, unknown> = {}, pooledSize = H) =>
  ({ arch, config, hiddenSize: H, pooledSize }) as unknown as Encoder;
const shapes = (arch: Architecture, task: Task, n: number, pooledSize = H) =>
  Object.fromEntries(headSpec(fakeEncoder(arch, {}, pooledSize), task, n).shapes);

describe('head names and shapes follow transformers', () => {
  it('BERT and USE-Lite: classifier.weight [numLabels, pooledSize] on the pooled output', () => {
    expect(shapes('bert', 'classification', 3)).toEqual({ 'classifier.weight': [3, H], 'classifier.bias': [3] });
    expect(shapes('use-lite', 'multilabel', 4, 512)).toEqual({ 'classifier.weight': [4, 512], 'classifier.bias': [4] });
    expect(headSpec(fakeEncoder('use-lite', {}, 512), 'regression', 1).input).toBe('pooled');
  });

  it('DistilBERT: pre_classifier [H, H] then classifier, on the first token', () => {
    const s = headSpec(fakeEncoder('distilbert'), 'classification', 2);
    expect(Object.fromEntries(s.shapes)).toEqual({
      'pre_classifier.weight': [H, H],
      'pre_classifier.bias': [H],
      'classifier.weight': [2, H],
      'classifier.bias': [2],
    });
    expect(s.input).toBe('first-token');
  });

  it('RoBERTa: classifier.dense [H, H] and classifier.out_proj [numLabels, H], on the first token', () => {
    const s = headSpec(fakeEncoder('roberta'), 'regression', 1);
    expect(Object.fromEntries(s.shapes)).toEqual({
      'classifier.dense.weight': [H, H],
      'classifier.dense.bias': [H],
      'classifier.out_proj.weight': [1, H],
      'classifier.out_proj.bias': [1],
    });
  });

  it('token classification: classifier.* on every token for all architectures', () => {
    for (const arch of ['bert', 'distilbert', 'roberta', 'use-lite'] as const) {
      const s = headSpec(fakeEncoder(arch, {}, 512), 'token-classification', 9);
      expect(s.input).toBe('sequence');
      expect(Object.fromEntries(s.shapes)).toEqual({ 'classifier.weight': [9, H], 'classifier.bias': [9] });
    }
  });

  it('names the transformers class an export loads as, and recognises head parameter names', () => {
    expect(hfArchitectureName('bert', 'multilabel')).toBe('BertForSequenceClassification');
    expect(hfArchitectureName('distilbert', 'token-classification')).toBe('DistilBertForTokenClassification');
    expect(hfArchitectureName('roberta', 'regression')).toBe('RobertaForSequenceClassification');
    expect(hfArchitectureName('use-lite', 'classification')).toBeNull();
    expect(isHeadParamName('classifier.out_proj.weight')).toBe(true);
    expect(isHeadParamName('pre_classifier.bias')).toBe(true);
    expect(isHeadParamName('encoder.layer.0.output.dense.weight')).toBe(false);
  });

  it('dropout defaults: classifier_dropout, else hidden_dropout_prob; DistilBERT seq_classif_dropout / dropout', () => {
    expect(headSpec(fakeEncoder('bert', { hidden_dropout_prob: 0.15 }), 'classification', 2).dropout).toBe(0.15);
    expect(headSpec(fakeEncoder('roberta', { hidden_dropout_prob: 0.1, classifier_dropout: 0.3 }), 'classification', 2).dropout).toBe(0.3);
    expect(headSpec(fakeEncoder('distilbert', { seq_classif_dropout: 0.25, dropout: 0.05 }), 'classification', 2).dropout).toBe(0.25);
    expect(headSpec(fakeEncoder('distilbert', { seq_classif_dropout: 0.25, dropout: 0.05 }), 'token-classification', 2).dropout).toBe(0.05);
    expect(headSpec(fakeEncoder('bert', { hidden_dropout_prob: 0.15 }), 'classification', 2, 0).dropout).toBe(0);
    expect(() => headSpec(fakeEncoder('bert'), 'classification', 2, 1)).toThrow(UserError);
  });
});

describe('label sets', () => {
  it('regression has one output; classification needs two distinct labels; multi-label at least one', () => {
    expect(numLabelsFor('regression', [])).toBe(1);
    expect(numLabelsFor('multilabel', ['spam'])).toBe(1);
    expect(numLabelsFor('token-classification', ['O', 'B-PER', 'I-PER'])).toBe(3);
    expect(() => numLabelsFor('classification', ['only'])).toThrow(UserError);
    expect(() => numLabelsFor('classification', ['a', 'b', 'a'])).toThrow(/twice/);
  });
});

describe('head computations (eval mode, against the formula on the encoder outputs)', () => {
  const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true).add(b);

  for (const arch of ['bert', 'distilbert', 'roberta'] as const) {
    it(`${arch} sequence head`, () => {
      const model = createTaskModel({
        encoder: tinyEncoder(arch),
        tokenizer: toyTokenizer(),
        task: 'classification',
        labels: ['x', 'y', 'z'],
        mode: { kind: 'full' },
        seed: 4,
      });
      const batch = sampleBatch();
      const hv = headVariables(model);
      const logits = model.forward(batch, { training: false });
      const expected = tf.tidy(() => {
        const out = model.encoder.forward(batch, { training: false });
        const first = out.sequence.slice([0, 0, 0], [4, 1, H]).reshape([4, H]);
        const g = (n: string) => hv.get(n)!;
        if (arch === 'bert') return dense(out.pooled, g('classifier.weight'), g('classifier.bias'));
        if (arch === 'distilbert')
          return dense(
            tf.relu(dense(first, g('pre_classifier.weight'), g('pre_classifier.bias'))),
            g('classifier.weight'),
            g('classifier.bias'),
          );
        return dense(
          tf.tanh(dense(first, g('classifier.dense.weight'), g('classifier.dense.bias'))),
          g('classifier.out_proj.weight'),
          g('classifier.out_proj.bias'),
        );
      });
      expect(logits.shape).toEqual([4, 3]);
      expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(1e-6);
      tf.dispose([logits, expected]);
      disposeBatch(batch);
      model.dispose();
    });
  }

  it('token classification gives [B, T, numLabels] logits from every token state', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'token-classification',
      labels: ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'],
      mode: { kind: 'full' },
    });
    const batch = sampleBatch();
    const hv = headVariables(model);
    const logits = model.forward(batch, { training: false });
    const [b, t] = batch.inputIds.shape;
    expect(logits.shape).toEqual([b, t, 5]);
    const expected = tf.tidy(() =>
      dense(
        model.encoder.forward(batch, { training: false }).sequence.reshape([b * t, H]),
        hv.get('classifier.weight')!,
        hv.get('classifier.bias')!,
      ).reshape([b, t, 5]),
    );
    expect(maxAbsDiff(logits, expected)).toBeLessThanOrEqual(1e-6);
    tf.dispose([logits, expected]);
    disposeBatch(batch);
    model.dispose();
  });

  it('regression has one output per example and multi-label one logit per label', () => {
    const batch = sampleBatch();
    for (const [task, labels, n] of [
      ['regression', [], 1],
      ['multilabel', ['a', 'b', 'c', 'd'], 4],
    ] as const) {
      const model = createTaskModel({
        encoder: tinyEncoder(),
        tokenizer: toyTokenizer(),
        task,
        labels: [...labels],
        mode: { kind: 'full' },
      });
      const y = model.forward(batch, { training: false });
      expect(y.shape).toEqual([4, n]);
      y.dispose();
      model.dispose();
    }
    disposeBatch(batch);
  });

  it('sentence pairs reach the encoder as token types: the second segment changes the logits', () => {
    const tok = toyTokenizer();
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: tok,
      task: 'classification',
      labels: ['entail', 'neutral', 'contradict'],
      mode: { kind: 'full' },
    });
    const enc = tok.encode('a man is sleeping', 'nobody sleeps');
    expect(enc.typeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    const pair = padBatch([enc]);
    const flat = padBatch([{ ids: enc.ids, typeIds: enc.ids.map(() => 0) }]);
    const a = model.forward(pair, { training: false });
    const b = model.forward(flat, { training: false });
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
    tf.dispose([a, b]);
    disposeBatch(pair);
    disposeBatch(flat);
    model.dispose();
  });

  it('head dropout is seeded: same seed, same logits; training vs eval differ', () => {
    const model = createTaskModel({
      encoder: tinyEncoder(),
      tokenizer: toyTokenizer(),
      task: 'classification',
      labels: ['a', 'b'],
      mode: { kind: 'head' },
      classifierDropout: 0.5,
    });
    const batch = sampleBatch();
    const f = model.features(batch);
    const a = model.headForward(f, { training: true, seed: 7 });
    const b = model.headForward(f, { training: true, seed: 7 });
    const c = model.headForward(f, { training: false });
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
    tf.dispose([f, a, b, c]);
    disposeBatch(batch);
    model.dispose();
  });

  for (const arch of ['bert', 'distilbert', 'roberta'] as const) {
    it(`${arch} head gradients match central finite differences on every head parameter`, () => {
      const model = createTaskModel({
        encoder: tinyEncoder(arch),
        tokenizer: toyTokenizer(),
        task: 'classification',
        labels: ['x', 'y', 'z'],
        mode: { kind: 'head' },
        seed: 8,
      });
      const batch = sampleBatch();
      const feats = model.features(batch);
      const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
      const loss = () => tf.losses.softmaxCrossEntropy(y, model.headForward(feats, { training: false })) as tf.Scalar;
      const hv = headVariables(model);
      const { value, grads } = tf.variableGrads(loss, [...hv.values()]);
      for (const [name, v] of hv) {
        const g = grads[v.name].dataSync() as Float32Array;
        const vals = v.dataSync() as Float32Array;
        // probe the entry with the largest gradient and one fixed entry
        const probes = [
          g.reduce((best: number, x: number, i: number) => (Math.abs(x) > Math.abs(g[best]) ? i : best), 0),
          Math.floor(vals.length / 2),
        ];
        for (const i of probes) {
          const h = 1e-2;
          const at = (d: number) => {
            const w = vals.slice();
            w[i] += d;
            tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
            const l = tf.tidy(() => loss().dataSync()[0]);
            return l;
          };
          const fd = (at(h) - at(-h)) / (2 * h);
          at(0);
          expect(Math.abs(fd - g[i]), `${name}[${i}] fd=${fd} grad=${g[i]}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(g[i]));
        }
      }
      tf.dispose([value, ...Object.values(grads), feats, y]);
      disposeBatch(batch);
      model.dispose();
    });
  }
});
